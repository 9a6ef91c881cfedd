package io.mlflowrest.compat.errors;

/** 5xx after mlflowrest's retries ran out. */
public class ServerError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public ServerError(io.mlflowrest.errors.ServerError cause) {
        super(cause);
    }
}
