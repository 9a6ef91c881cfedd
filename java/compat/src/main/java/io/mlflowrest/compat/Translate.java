package io.mlflowrest.compat;

import io.mlflowrest.compat.errors.ApiError;
import io.mlflowrest.compat.errors.ConflictError;
import io.mlflowrest.compat.errors.InvalidParameterValueError;
import io.mlflowrest.compat.errors.MlflowError;
import io.mlflowrest.compat.errors.PermissionDeniedError;
import io.mlflowrest.compat.errors.RateLimitedError;
import io.mlflowrest.compat.errors.RequestTimeoutError;
import io.mlflowrest.compat.errors.ResourceAlreadyExistsError;
import io.mlflowrest.compat.errors.ResourceDoesNotExistError;
import io.mlflowrest.compat.errors.ServerError;
import io.mlflowrest.compat.errors.TransportError;
import io.mlflowrest.compat.errors.UnauthenticatedError;
import io.mlflowrest.compat.errors.UnexpectedResponseError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.mlflow.tracking.MlflowClientException;

/**
 * mlflowrest's errors as the official client's exception types, so existing catch blocks work:
 * each error class has a drop-in of the same simple name whose cause is the original.
 */
final class Translate {
    // Keyed by the mlflowrest class; a subclass without an entry takes its nearest ancestor's.
    private static final Map<Class<?>, Function<RuntimeException, RuntimeException>> BY_CLASS = Map.ofEntries(
            Map.entry(io.mlflowrest.errors.MlflowError.class, e -> new MlflowError((io.mlflowrest.errors.MlflowError) e)),
            Map.entry(io.mlflowrest.errors.TransportError.class,
                    e -> new TransportError((io.mlflowrest.errors.TransportError) e)),
            Map.entry(io.mlflowrest.errors.RequestTimeoutError.class,
                    e -> new RequestTimeoutError((io.mlflowrest.errors.RequestTimeoutError) e)),
            Map.entry(io.mlflowrest.errors.ApiError.class, e -> new ApiError((io.mlflowrest.errors.ApiError) e)),
            Map.entry(io.mlflowrest.errors.InvalidParameterValueError.class,
                    e -> new InvalidParameterValueError((io.mlflowrest.errors.InvalidParameterValueError) e)),
            Map.entry(io.mlflowrest.errors.ResourceAlreadyExistsError.class,
                    e -> new ResourceAlreadyExistsError((io.mlflowrest.errors.ResourceAlreadyExistsError) e)),
            Map.entry(io.mlflowrest.errors.ResourceDoesNotExistError.class,
                    e -> new ResourceDoesNotExistError((io.mlflowrest.errors.ResourceDoesNotExistError) e)),
            Map.entry(io.mlflowrest.errors.UnauthenticatedError.class,
                    e -> new UnauthenticatedError((io.mlflowrest.errors.UnauthenticatedError) e)),
            Map.entry(io.mlflowrest.errors.PermissionDeniedError.class,
                    e -> new PermissionDeniedError((io.mlflowrest.errors.PermissionDeniedError) e)),
            Map.entry(io.mlflowrest.errors.ConflictError.class,
                    e -> new ConflictError((io.mlflowrest.errors.ConflictError) e)),
            Map.entry(io.mlflowrest.errors.RateLimitedError.class,
                    e -> new RateLimitedError((io.mlflowrest.errors.RateLimitedError) e)),
            Map.entry(io.mlflowrest.errors.ServerError.class, e -> new ServerError((io.mlflowrest.errors.ServerError) e)),
            Map.entry(io.mlflowrest.errors.UnexpectedResponseError.class,
                    e -> new UnexpectedResponseError((io.mlflowrest.errors.UnexpectedResponseError) e)));

    private Translate() {}

    /** The drop-in form of {@code e}: mlflowrest errors and I/O failures become MlflowClientExceptions. */
    static RuntimeException error(RuntimeException e) {
        if (e instanceof MlflowClientException) {
            return e;
        }
        if (e instanceof UncheckedIOException io) {
            return new MlflowClientException(io.getMessage(), io.getCause());
        }
        for (Class<?> c = e.getClass(); c != RuntimeException.class; c = c.getSuperclass()) {
            Function<RuntimeException, RuntimeException> wrap = BY_CLASS.get(c);
            if (wrap != null) {
                return wrap.apply(e);
            }
        }
        return e;
    }

    static <T> T call(Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw error(e);
        }
    }

    static void run(Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            throw error(e);
        }
    }

    static MlflowClientException io(String what, IOException e) {
        return new MlflowClientException(what + ": " + e.getMessage(), e);
    }
}
