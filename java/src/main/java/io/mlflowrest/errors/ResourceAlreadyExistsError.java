package io.mlflowrest.errors;

/** The entity already exists (RESOURCE_ALREADY_EXISTS, ALREADY_EXISTS). */
public class ResourceAlreadyExistsError extends ApiError {
    public ResourceAlreadyExistsError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
