package io.mlflowrest.errors;

/** 409: ABORTED, RESOURCE_CONFLICT. */
public class ConflictError extends ApiError {
    public ConflictError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
