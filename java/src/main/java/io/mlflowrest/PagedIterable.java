package io.mlflowrest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Every item of a token-paginated listing; pages are fetched as the iteration reaches them,
 * so {@code for (Experiment e : client.experiments().search())} walks them all.
 */
public final class PagedIterable<T> implements Iterable<T> {
    private final Function<String, Page<T>> fetch;

    public PagedIterable(Function<String, Page<T>> fetch) {
        this.fetch = fetch;
    }

    /** The first page alone, for callers that page by hand. */
    public Page<T> firstPage() {
        return fetch.apply(null);
    }

    public Page<T> page(String pageToken) {
        return fetch.apply(pageToken);
    }

    public Stream<T> stream() {
        return StreamSupport.stream(spliterator(), false);
    }

    public List<T> toList() {
        List<T> all = new ArrayList<>();
        forEach(all::add);
        return all;
    }

    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private Iterator<T> current = null;
            private String token = null;
            private boolean last = false;

            @Override
            public boolean hasNext() {
                while ((current == null || !current.hasNext()) && !last) {
                    Page<T> page = fetch.apply(token);
                    current = page.items().iterator();
                    token = page.nextPageToken();
                    last = token == null;
                }
                return current != null && current.hasNext();
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }
}
