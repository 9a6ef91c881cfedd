package io.mlflowrest.internal.http;

import java.io.IOException;

/**
 * A kept-alive connection failed before any byte of an answer came. Most likely the server
 * closed it while it sat idle, so the request never arrived and can be sent again at once; but
 * the server may also have died mid-request, so a create asks its RetryGuard first.
 */
public final class StaleConnectionException extends IOException {
    private static final long serialVersionUID = 1L;

    StaleConnectionException(IOException cause) {
        super("kept-alive connection failed before an answer: " + cause, cause);
    }
}
