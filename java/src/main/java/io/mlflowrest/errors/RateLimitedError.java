package io.mlflowrest.errors;

/** 429 still answered after every retry. */
public class RateLimitedError extends ApiError {
    public RateLimitedError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
