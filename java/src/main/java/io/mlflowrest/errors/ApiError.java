package io.mlflowrest.errors;

/**
 * The server (or a proxy in front of it) answered with an error. The message has the form
 * {@code "404 RESOURCE_DOES_NOT_EXIST: Run 'x' not found (GET /api/2.0/mlflow/runs/get)"},
 * the same as the Python SDK's.
 */
public class ApiError extends MlflowError {
    private final Integer httpStatus;
    private final String errorCode;
    private final String serverMessage;
    private final String method;
    private final String path;

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

    /** The HTTP status, or null when the error was found before sending. */
    public Integer httpStatus() {
        return httpStatus;
    }

    /** MLflow's error_code from a JSON body, or null when the body was not MLflow JSON. */
    public String errorCode() {
        return errorCode;
    }

    /** The server's message alone, without status, code and route. */
    public String serverMessage() {
        return serverMessage;
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }
}
