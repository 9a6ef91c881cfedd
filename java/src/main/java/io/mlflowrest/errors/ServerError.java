package io.mlflowrest.errors;

/** 5xx still answered after every retry. */
public class ServerError extends ApiError {
    public ServerError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
