package io.mlflowrest.compat.errors;

/** RESOURCE_ALREADY_EXISTS: e.g. an experiment or registered model of that name exists. */
public class ResourceAlreadyExistsError extends ApiError {
    private static final long serialVersionUID = 1L;

    /**
     * Wraps the mlflowrest error of the same name.
     *
     * @param cause the error mlflowrest raised
     */
    public ResourceAlreadyExistsError(io.mlflowrest.errors.ResourceAlreadyExistsError cause) {
        super(cause);
    }
}
