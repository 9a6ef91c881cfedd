package io.mlflowrest.compat.errors;

/** 401: no or wrong credentials. */
public class UnauthenticatedError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public UnauthenticatedError(io.mlflowrest.errors.UnauthenticatedError cause) {
        super(cause);
    }
}
