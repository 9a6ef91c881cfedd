package io.mlflowrest.compat.errors;

/** 409: ABORTED or RESOURCE_CONFLICT. */
public class ConflictError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public ConflictError(io.mlflowrest.errors.ConflictError cause) {
        super(cause);
    }
}
