package io.mlflowrest.errors;

/** The request's timeout expired before an answer came. */
public class RequestTimeoutError extends TransportError {
    public RequestTimeoutError(String message, String method, String path, Throwable cause) {
        super(message, method, path, cause);
    }
}
