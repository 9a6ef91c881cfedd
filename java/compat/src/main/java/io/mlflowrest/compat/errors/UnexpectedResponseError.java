package io.mlflowrest.compat.errors;

/** A success status whose body is not the JSON expected (HTML, truncated). */
public class UnexpectedResponseError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public UnexpectedResponseError(io.mlflowrest.errors.UnexpectedResponseError cause) {
        super(cause);
    }
}
