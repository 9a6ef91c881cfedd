package io.mlflowrest.compat.errors;

/**
 * What every exception of the drop-in offers besides its official type
 * ({@code MlflowClientException} or {@code MlflowHttpException}): the typed mlflowrest error it
 * stands for, which is also its {@link Throwable#getCause() cause}.
 */
public interface CompatError {
    /**
     * The mlflowrest error this exception stands for.
     *
     * @return the error mlflowrest raised, e.g. an {@code io.mlflowrest.errors.ResourceDoesNotExistError}
     */
    io.mlflowrest.errors.MlflowError mlflowError();
}
