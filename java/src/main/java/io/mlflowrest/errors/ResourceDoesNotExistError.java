package io.mlflowrest.errors;

/** Not found (404: RESOURCE_DOES_NOT_EXIST, NOT_FOUND, ENDPOINT_NOT_FOUND, unknown routes). */
public class ResourceDoesNotExistError extends ApiError {
    public ResourceDoesNotExistError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
