package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.ConflictError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.PermissionDeniedError;
import io.mlflowrest.errors.RateLimitedError;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.errors.ServerError;
import io.mlflowrest.errors.UnauthenticatedError;
import io.mlflowrest.errors.UnexpectedResponseError;
import io.mlflowrest.generated.Rules;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An error answer to its class, by openapi/family-rules.yaml: the body's error_code when the
 * body is MLflow JSON, else the answer's actual HTTP status. Non-JSON bodies (HTML, text) keep
 * their first characters of text, tags dropped, as the message.
 */
public final class ErrorMapper {
    private static final Pattern TAG = Pattern.compile("<[^>]*>");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private interface Maker {
        ApiError make(String message, int status, String code, String method, String path);
    }

    // The generated rules name classes; these are the constructors behind the names.
    private static final Map<String, Maker> CLASSES = Map.ofEntries(
            Map.entry("ApiError", ApiError::new),
            Map.entry("InvalidParameterValueError", InvalidParameterValueError::new),
            Map.entry("ResourceAlreadyExistsError", ResourceAlreadyExistsError::new),
            Map.entry("ResourceDoesNotExistError", ResourceDoesNotExistError::new),
            Map.entry("UnauthenticatedError", UnauthenticatedError::new),
            Map.entry("PermissionDeniedError", PermissionDeniedError::new),
            Map.entry("ConflictError", ConflictError::new),
            Map.entry("RateLimitedError", RateLimitedError::new),
            Map.entry("ServerError", ServerError::new),
            Map.entry("UnexpectedResponseError", UnexpectedResponseError::new));

    private ErrorMapper() {}

    /**
     * The typed error for an error answer that was not a redirect.
     *
     * @param status the HTTP status
     * @param body the answer's text, or null
     * @param method the request's method
     * @param path the request's path
     * @return the error to throw
     */
    public static ApiError map(int status, String body, String method, String path) {
        return map(status, body, null, method, path);
    }

    /**
     * {@code location}: a redirect's Location header (its query left out), or null.
     *
     * @param status the HTTP status
     * @param body the answer's text, or null
     * @param location the Location header, or null
     * @param method the request's method
     * @param path the request's path
     * @return the error to throw
     */
    public static ApiError map(int status, String body, String location, String method, String path) {
        JsonNode json = Json.tryParse(body);
        String code = null;
        String message;
        if (json != null && json.isObject() && json.hasNonNull("error_code")) {
            code = json.get("error_code").asText();
            message = json.path("message").asText("");
        } else {
            String text = SPACE.matcher(TAG.matcher(body == null ? "" : body).replaceAll(" ")).replaceAll(" ").strip();
            message = text.isEmpty() ? "HTTP " + status
                    : text.length() > Rules.MESSAGE_TEXT_LIMIT ? text.substring(0, Rules.MESSAGE_TEXT_LIMIT) : text;
            if (location != null && status < 400) {
                message = "redirected to " + location.split("\\?", 2)[0] + " (not followed): " + message;
            }
        }
        return CLASSES.get(className(code, status)).make(message, status, code, method, path);
    }

    /**
     * The same error with a new message (the server's part of it): the background logger says
     * what it stored and refused without changing the class a caller catches.
     *
     * @param cause the error
     * @param message the new message
     * @return an error of the same class
     */
    public static ApiError restated(ApiError cause, String message) {
        if (cause.httpStatus() == null) {
            return cause instanceof InvalidParameterValueError bad
                    ? InvalidParameterValueError.clientSide(bad.field(), bad.limit(), message)
                    : new ApiError(message, null, cause.errorCode(), cause.method(), cause.path());
        }
        Maker maker = CLASSES.getOrDefault(cause.getClass().getSimpleName(), ApiError::new);
        return maker.make(message, cause.httpStatus(), cause.errorCode(), cause.method(), cause.path());
    }

    /**
     * The class name for an answer: by error_code, then by the actual status.
     *
     * @param code the body's error_code, or null
     * @param status the HTTP status
     * @return the simple name of an error class of io.mlflowrest.errors
     */
    public static String className(String code, int status) {
        String name = code == null ? null : Rules.BY_ERROR_CODE.get(code);
        if (name == null) {
            name = Rules.BY_STATUS.get(status);
        }
        if (name == null && status < 400) {
            name = Rules.REDIRECT_CLASS;
        }
        if (name == null) {
            name = status >= Rules.SERVER_ERROR_FROM ? "ServerError" : "ApiError";
        }
        return name;
    }
}
