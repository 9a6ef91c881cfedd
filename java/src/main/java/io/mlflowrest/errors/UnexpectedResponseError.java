package io.mlflowrest.errors;

/** A success status whose body is not the JSON expected (HTML from a proxy, a truncated body). */
public class UnexpectedResponseError extends ApiError {
    public UnexpectedResponseError(String message, Integer httpStatus, String errorCode, String method, String path) {
        super(message, httpStatus, errorCode, method, path);
    }
}
