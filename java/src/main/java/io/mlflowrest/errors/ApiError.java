package io.mlflowrest.errors;

/**
 * The server (or a proxy in front of it) answered with an error. The message has the form
 * {@code "404 RESOURCE_DOES_NOT_EXIST: Run 'x' not found (GET /api/2.0/mlflow/runs/get)"},
 * the same as the Python SDK's.
 */
public class ApiError extends MlflowError {
    private static final long serialVersionUID = 1L;

    /** The HTTP status, or null. */
    private final Integer httpStatus;
    /** MLflow's error_code, or null. */
    private final String errorCode;
    /** The server's message alone. */
    private final String serverMessage;
    /** The request's HTTP method, or null. */
    private final String method;
    /** The request's path, or null. */
    private final String path;

    /**
     * Built by the transport from an error answer; the message is formatted from all five parts.
     *
     * @param message the server's message, or the client's when found before sending
     * @param httpStatus the answer's HTTP status, or null when found before sending
     * @param errorCode MLflow's error_code from the body, or null when the body had none
     * @param method the request's HTTP method, or null when there was no request
     * @param path the request's path, or null when there was no request
     */
    public ApiError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(format(message, httpStatus, errorCode, method, path));
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.serverMessage = message;
        this.method = method;
        this.path = path;
    }

    private static String format(String message, Integer status, String code, String method, String path) {
        String where = method == null ? "" : " (" + method + " " + path + ")";
        String prefix = status == null ? "" : status + " ";
        return prefix + (code == null ? "ERROR" : code) + ": " + message + where;
    }

    /** {@return the HTTP status, or null when the error was found before sending} */
    public Integer httpStatus() {
        return httpStatus;
    }

    /** {@return MLflow's error_code from a JSON body, or null when the body was not MLflow JSON} */
    public String errorCode() {
        return errorCode;
    }

    /** {@return the server's message alone, without status, code and route} */
    public String serverMessage() {
        return serverMessage;
    }

    /** {@return the request's HTTP method, or null when the error was found before sending} */
    public String method() {
        return method;
    }

    /**
     * {@return the request's path (no query string, no host), or null when the error was found before
     * sending}
     */
    public String path() {
        return path;
    }
}
