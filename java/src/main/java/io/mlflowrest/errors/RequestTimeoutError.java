package io.mlflowrest.errors;

/** The request's timeout expired before an answer came. */
public class RequestTimeoutError extends TransportError {
    private static final long serialVersionUID = 1L;

    /**
     * Built by the transport when a request's timeout expires.
     *
     * @param message what timed out and after how long
     * @param method the request's HTTP method
     * @param path the request's path
     * @param cause the socket's timeout exception
     */
    public RequestTimeoutError(String message, String method, String path, Throwable cause) {
        super(message, method, path, cause);
    }
}
