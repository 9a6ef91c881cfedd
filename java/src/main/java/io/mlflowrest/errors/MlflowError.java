package io.mlflowrest.errors;

/** Base of every error mlflowrest raises; unchecked, like the official client's exceptions. */
public class MlflowError extends RuntimeException {
    public MlflowError(String message) {
        super(message);
    }

    public MlflowError(String message, Throwable cause) {
        super(message, cause);
    }
}
