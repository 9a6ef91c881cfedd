package io.mlflowrest.errors;

/** The entity already exists (RESOURCE_ALREADY_EXISTS, ALREADY_EXISTS). */
public class ResourceAlreadyExistsError extends ApiError {
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
    public ResourceAlreadyExistsError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
