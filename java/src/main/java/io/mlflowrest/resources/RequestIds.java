package io.mlflowrest.resources;

import java.util.UUID;

/** The client request id that makes creates safe to retry (docs/design.md). */
final class RequestIds {
    static final String TAG = "mlflowrest.request_id";

    private RequestIds() {}

    static String next() {
        return UUID.randomUUID().toString();
    }
}
