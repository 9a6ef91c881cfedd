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

    /**
     * Built by the resources; user code iterates it.
     *
     * @param fetch page token (null for the first) -> that page, calling the server
     */
    public PagedIterable(Function<String, Page<T>> fetch) {
        this.fetch = fetch;
    }

    /**
     * The first page alone, for callers that page by hand.
     *
     * @return the first page and the token of the next
     */
    public Page<T> firstPage() {
        return fetch.apply(null);
    }

    /**
     * One page alone, for callers that page by hand.
     *
     * @param pageToken a token from an earlier page, or null for the first
     * @return that page and the token of the next
     */
    public Page<T> page(String pageToken) {
        return fetch.apply(pageToken);
    }

    /** {@return every item as a sequential stream, pages fetched as it is consumed} */
    public Stream<T> stream() {
        return StreamSupport.stream(spliterator(), false);
    }

    /** {@return every item of every page, fetched now; mind the size of big listings} */
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
