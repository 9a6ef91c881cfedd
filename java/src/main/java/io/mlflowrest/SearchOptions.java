package io.mlflowrest;

import java.util.List;

/**
 * Filter, order and page size of a search; immutable. {@code SearchOptions.filter("name LIKE 'a%'")
 * .orderBy("name ASC").pageSize(100)}. The page size is per request; iteration walks every page.
 */
public record SearchOptions(String filter, List<String> orderBy, Integer pageSize, String viewType) {
    /** No filter or order, the server's page size, active entities only. */
    public static final SearchOptions ALL = new SearchOptions(null, List.of(), null, null);

    /**
     * Copies the order clauses; null becomes none.
     *
     * @param filter a search filter in MLflow's syntax, or null for none
     * @param orderBy order clauses, e.g. {@code "name ASC"}
     * @param pageSize items per request, or null for the server's default
     * @param viewType ACTIVE_ONLY, DELETED_ONLY or ALL, or null for the server's default
     */
    public SearchOptions {
        orderBy = orderBy == null ? List.of() : List.copyOf(orderBy);
    }

    /**
     * @param filter a search filter in MLflow's syntax, e.g. {@code name LIKE 'a%'}
     * @return options with that filter alone
     */
    public static SearchOptions filter(String filter) {
        return ALL.withFilter(filter);
    }

    /**
     * @param filter a search filter in MLflow's syntax, or null for none
     * @return a copy with that filter
     */
    public SearchOptions withFilter(String filter) {
        return new SearchOptions(filter, orderBy, pageSize, viewType);
    }

    /**
     * @param clauses e.g. {@code "name ASC"}, {@code "metrics.loss DESC"}
     * @return a copy with that order
     */
    public SearchOptions orderBy(String... clauses) {
        return new SearchOptions(filter, List.of(clauses), pageSize, viewType);
    }

    /**
     * @param size items per request, positive; the server caps it
     * @return a copy with that page size
     * @throws IllegalArgumentException when size is not positive
     */
    public SearchOptions pageSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("pageSize must be positive");
        }
        return new SearchOptions(filter, orderBy, size, viewType);
    }

    /**
     * ACTIVE_ONLY (the default), DELETED_ONLY or ALL, for experiments and runs.
     *
     * @param view the view type name
     * @return a copy with that view type
     */
    public SearchOptions viewType(String view) {
        return new SearchOptions(filter, orderBy, pageSize, view);
    }
}
