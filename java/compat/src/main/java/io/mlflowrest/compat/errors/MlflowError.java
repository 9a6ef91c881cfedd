package io.mlflowrest.compat.errors;

import org.mlflow.tracking.MlflowClientException;

/**
 * An mlflowrest error without an HTTP answer, as the official client's
 * {@link MlflowClientException}: existing {@code catch (MlflowClientException e)} blocks catch it.
 */
public class MlflowError extends MlflowClientException implements CompatError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps an mlflowrest error.
     *
     * @param cause the error mlflowrest raised; this exception's message and cause
     */
    public MlflowError(io.mlflowrest.errors.MlflowError cause) {
        super(cause.getMessage(), cause);
    }

    @Override
    public io.mlflowrest.errors.MlflowError mlflowError() {
        return (io.mlflowrest.errors.MlflowError) getCause();
    }

    @Override
    public String getMessage() {
        return mlflowError().getMessage();
    }
}
