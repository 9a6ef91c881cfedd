package io.mlflowrest.errors;

/**
 * A bad argument: found by the server (400 INVALID_PARAMETER_VALUE / BAD_REQUEST), or by
 * client-side validation, in which case {@link #httpStatus()} is null and {@link #field()}
 * and {@link #limit()} name what was violated.
 */
public class InvalidParameterValueError extends ApiError {
    private final String field;
    private final String limit;

    public InvalidParameterValueError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
        this.field = null;
        this.limit = null;
    }

    private InvalidParameterValueError(String field, String limit, String message) {
        super(message, null, "INVALID_PARAMETER_VALUE", null, null);
        this.field = field;
        this.limit = limit;
    }

    /** An error found before sending: {@code field} broke {@code limit}. */
    public static InvalidParameterValueError clientSide(String field, String limit, String message) {
        return new InvalidParameterValueError(field, limit, field + ": " + message + " (limit: " + limit + ")");
    }

    public String field() {
        return field;
    }

    public String limit() {
        return limit;
    }
}
