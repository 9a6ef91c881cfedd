package io.mlflowrest.errors;

/**
 * A bad argument: found by the server (400 INVALID_PARAMETER_VALUE / BAD_REQUEST), or by
 * client-side validation, in which case {@link #httpStatus()} is null and {@link #field()}
 * and {@link #limit()} name what was violated.
 */
public class InvalidParameterValueError extends ApiError {
    private static final long serialVersionUID = 1L;

    /** The field at fault when found before sending, else null. */
    private final String field;
    /** The rule it broke, else null. */
    private final String limit;

    /**
     * Built by the transport from a 400 answer; {@link #field()} and {@link #limit()} are then null.
     *
     * @param message the server's message, or the client's when found before sending
     * @param httpStatus the answer's HTTP status, or null when found before sending
     * @param errorCode MLflow's error_code from the body, or null when the body had none
     * @param method the request's HTTP method, or null when there was no request
     * @param path the request's path, or null when there was no request
     */
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

    /**
     * An error found before sending: {@code field} broke {@code limit}.
     *
     * @param field the argument or setting at fault, e.g. {@code metrics[3].key}
     * @param limit the rule it broke, e.g. {@code 250 characters}
     * @param message what is wrong with the value (never the value of a secret)
     * @return an error with no HTTP status, whose message names the field and the limit
     */
    public static InvalidParameterValueError clientSide(String field, String limit, String message) {
        return new InvalidParameterValueError(field, limit, field + ": " + message + " (limit: " + limit + ")");
    }

    /** {@return the argument or setting at fault when found before sending, else null} */
    public String field() {
        return field;
    }

    /** {@return the rule the value broke when found before sending, else null} */
    public String limit() {
        return limit;
    }
}
