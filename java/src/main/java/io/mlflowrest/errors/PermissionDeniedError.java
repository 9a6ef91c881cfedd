package io.mlflowrest.errors;

/** 403: not allowed (also the server's Host-header guard, which answers text/plain). */
public class PermissionDeniedError extends ApiError {
    public PermissionDeniedError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
