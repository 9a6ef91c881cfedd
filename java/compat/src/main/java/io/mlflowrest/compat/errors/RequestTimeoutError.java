package io.mlflowrest.compat.errors;

/** The request's timeout ({@code MLFLOW_HTTP_REQUEST_TIMEOUT}) expired on every try. */
public class RequestTimeoutError extends TransportError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps an mlflowrest timeout.
     *
     * @param cause the error mlflowrest raised
     */
    public RequestTimeoutError(io.mlflowrest.errors.RequestTimeoutError cause) {
        super(cause);
    }
}
