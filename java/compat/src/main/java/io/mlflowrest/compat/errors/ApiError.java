package io.mlflowrest.compat.errors;

import java.util.Map;
import org.mlflow.tracking.MlflowHttpException;

/**
 * An error answer, as the official client's {@link MlflowHttpException} (so existing
 * {@code catch} blocks and {@code getStatusCode()} checks keep working), with mlflowrest's
 * fields besides: {@link #errorCode()}, {@link #method()}, {@link #path()}. An argument that
 * mlflowrest rejects before sending reports status 400, what the server answers for it.
 */
public class ApiError extends MlflowHttpException implements CompatError {
    private static final long serialVersionUID = 1L;
    private static final Map<Integer, String> REASONS = Map.of(400, "Bad Request", 401, "Unauthorized",
            403, "Forbidden", 404, "Not Found", 409, "Conflict", 429, "Too Many Requests",
            500, "Internal Server Error", 502, "Bad Gateway", 503, "Service Unavailable", 504, "Gateway Timeout");

    /**
     * Wraps an mlflowrest API error.
     *
     * @param cause the error mlflowrest raised; this exception's message and cause
     */
    public ApiError(io.mlflowrest.errors.ApiError cause) {
        super(status(cause), REASONS.getOrDefault(status(cause), "HTTP " + status(cause)), body(cause));
        initCause(cause);
    }

    private static int status(io.mlflowrest.errors.ApiError e) {
        return e.httpStatus() == null ? 400 : e.httpStatus();
    }

    // The shape of MLflow's own error body, which code written for the official client parses.
    private static String body(io.mlflowrest.errors.ApiError e) {
        String code = e.errorCode() == null ? "" : e.errorCode();
        String message = e.serverMessage() == null ? "" : e.serverMessage();
        return "{\"error_code\": \"" + escape(code) + "\", \"message\": \"" + escape(message) + "\"}";
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    @Override
    public io.mlflowrest.errors.ApiError mlflowError() {
        return (io.mlflowrest.errors.ApiError) getCause();
    }

    @Override
    public String getMessage() {
        return mlflowError().getMessage();
    }

    /**
     * MLflow's error code.
     *
     * @return the body's {@code error_code}, or null when the body was not MLflow JSON
     */
    public String errorCode() {
        return mlflowError().errorCode();
    }

    /**
     * The HTTP method of the failed request.
     *
     * @return e.g. {@code "POST"}, or null when the error was found before sending
     */
    public String method() {
        return mlflowError().method();
    }

    /**
     * The path of the failed request.
     *
     * @return e.g. {@code "/api/2.0/mlflow/runs/get"}, or null when the error was found before sending
     */
    public String path() {
        return mlflowError().path();
    }
}
