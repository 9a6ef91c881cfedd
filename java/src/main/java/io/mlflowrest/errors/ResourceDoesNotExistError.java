package io.mlflowrest.errors;

/** Not found (404: RESOURCE_DOES_NOT_EXIST, NOT_FOUND, ENDPOINT_NOT_FOUND, unknown routes). */
public class ResourceDoesNotExistError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Built by the transport from an error answer.
     *
     * @param message the server's message, or the client's when found before sending
     * @param httpStatus the answer's HTTP status, or null when found before sending
     * @param errorCode MLflow's error_code from the body, or null when the body had none
     * @param method the request's HTTP method, or null when there was no request
     * @param path the request's path, or null when there was no request
     */
    public ResourceDoesNotExistError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
