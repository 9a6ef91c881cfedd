package io.mlflowrest.compat.errors;

/** 429 after mlflowrest's retries ran out. */
public class RateLimitedError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public RateLimitedError(io.mlflowrest.errors.RateLimitedError cause) {
        super(cause);
    }
}
