package io.mlflowrest.compat.errors;

/** 404: the run, experiment, model or artifact does not exist. */
public class ResourceDoesNotExistError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public ResourceDoesNotExistError(io.mlflowrest.errors.ResourceDoesNotExistError cause) {
        super(cause);
    }
}
