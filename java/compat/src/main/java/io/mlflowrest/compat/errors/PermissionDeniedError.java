package io.mlflowrest.compat.errors;

/** 403: the credentials may not do this. */
public class PermissionDeniedError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public PermissionDeniedError(io.mlflowrest.errors.PermissionDeniedError cause) {
        super(cause);
    }
}
