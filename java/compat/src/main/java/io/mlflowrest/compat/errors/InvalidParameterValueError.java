package io.mlflowrest.compat.errors;

/**
 * 400 INVALID_PARAMETER_VALUE / BAD_REQUEST, or an argument mlflowrest rejected before sending
 * (then {@link #field()} and {@link #limit()} say what was broken, and nothing was sent).
 */
public class InvalidParameterValueError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public InvalidParameterValueError(io.mlflowrest.errors.InvalidParameterValueError cause) {
        super(cause);
    }

    /**
     * The argument that broke a limit, when found before sending.
     *
     * @return e.g. {@code "key"}, or null when the server found the error
     */
    public String field() {
        return ((io.mlflowrest.errors.InvalidParameterValueError) getCause()).field();
    }

    /**
     * The limit the argument broke, when found before sending.
     *
     * @return e.g. {@code "250 characters"}, or null when the server found the error
     */
    public String limit() {
        return ((io.mlflowrest.errors.InvalidParameterValueError) getCause()).limit();
    }
}
