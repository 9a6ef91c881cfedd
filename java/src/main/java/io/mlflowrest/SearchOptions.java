package io.mlflowrest;

import java.util.List;

/**
 * Filter, order and page size of a search; immutable. {@code SearchOptions.filter("name LIKE 'a%'")
 * .orderBy("name ASC").pageSize(100)}. The page size is per request; iteration walks every page.
 */
public record SearchOptions(String filter, List<String> orderBy, Integer pageSize, String viewType) {
    public static final SearchOptions ALL = new SearchOptions(null, List.of(), null, null);

    public SearchOptions {
        orderBy = orderBy == null ? List.of() : List.copyOf(orderBy);
    }

    public static SearchOptions filter(String filter) {
        return ALL.withFilter(filter);
    }

    public SearchOptions withFilter(String filter) {
        return new SearchOptions(filter, orderBy, pageSize, viewType);
    }

    public SearchOptions orderBy(String... clauses) {
        return new SearchOptions(filter, List.of(clauses), pageSize, viewType);
    }

    public SearchOptions pageSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("pageSize must be positive");
        }
        return new SearchOptions(filter, orderBy, size, viewType);
    }

    /** ACTIVE_ONLY (the default), DELETED_ONLY or ALL, for experiments and runs. */
    public SearchOptions viewType(String view) {
        return new SearchOptions(filter, orderBy, pageSize, view);
    }
}
