package io.mlflowrest;

import java.util.List;

/** One page of a listing and the token of the next ({@code null} on the last page). */
public record Page<T>(List<T> items, String nextPageToken) {
    /**
     * Copies the items; an empty token becomes null.
     *
     * @param items the page's items
     * @param nextPageToken the token of the next page, or null (or empty) on the last
     */
    public Page {
        items = List.copyOf(items);
        nextPageToken = nextPageToken == null || nextPageToken.isEmpty() ? null : nextPageToken;
    }
}
