package io.mlflowrest.compat.errors;

/** No HTTP answer after mlflowrest's retries (connection refused or reset, DNS, TLS). */
public class TransportError extends MlflowError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps an mlflowrest transport error.
     *
     * @param cause the error mlflowrest raised
     */
    public TransportError(io.mlflowrest.errors.TransportError cause) {
        super(cause);
    }
}
