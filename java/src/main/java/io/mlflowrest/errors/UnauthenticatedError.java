package io.mlflowrest.errors;

/** 401: missing or wrong credentials (also the basic-auth app's HTML answer). */
public class UnauthenticatedError extends ApiError {
    public UnauthenticatedError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
