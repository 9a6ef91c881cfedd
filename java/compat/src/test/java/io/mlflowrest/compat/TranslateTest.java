package io.mlflowrest.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.compat.errors.CompatError;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowHttpException;

/** Every mlflowrest error becomes the drop-in error of the same simple name, an official exception type. */
class TranslateTest {
    private static List<io.mlflowrest.errors.MlflowError> everyError() {
        String m = "msg";
        return List.of(new io.mlflowrest.errors.MlflowError(m), new io.mlflowrest.errors.TransportError(m, "GET", "/p", null),
                new io.mlflowrest.errors.RequestTimeoutError(m, "GET", "/p", null),
                new io.mlflowrest.errors.ApiError(m, 418, "TEAPOT", "GET", "/p"),
                new io.mlflowrest.errors.InvalidParameterValueError(m, 400, "INVALID_PARAMETER_VALUE", "POST", "/p"),
                io.mlflowrest.errors.InvalidParameterValueError.clientSide("key", "250 characters", "too long"),
                new io.mlflowrest.errors.ResourceAlreadyExistsError(m, 400, "RESOURCE_ALREADY_EXISTS", "POST", "/p"),
                new io.mlflowrest.errors.ResourceDoesNotExistError(m, 404, "RESOURCE_DOES_NOT_EXIST", "GET", "/p"),
                new io.mlflowrest.errors.UnauthenticatedError(m, 401, null, "GET", "/p"),
                new io.mlflowrest.errors.PermissionDeniedError(m, 403, "PERMISSION_DENIED", "GET", "/p"),
                new io.mlflowrest.errors.ConflictError(m, 409, "ABORTED", "POST", "/p"),
                new io.mlflowrest.errors.RateLimitedError(m, 429, null, "POST", "/p"),
                new io.mlflowrest.errors.ServerError(m, 503, null, "POST", "/p"),
                new io.mlflowrest.errors.UnexpectedResponseError(m, 200, null, "GET", "/p"));
    }

    @Test
    void sameNameOfficialTypeOriginalAsCause() {
        for (io.mlflowrest.errors.MlflowError original : everyError()) {
            RuntimeException translated = Translate.error(original);
            assertEquals(original.getClass().getSimpleName(), translated.getClass().getSimpleName());
            assertEquals("io.mlflowrest.compat.errors", translated.getClass().getPackageName());
            assertInstanceOf(MlflowClientException.class, translated);
            assertSame(original, translated.getCause());
            assertSame(original, ((CompatError) translated).mlflowError());
            assertEquals(original.getMessage(), translated.getMessage());
            if (original instanceof io.mlflowrest.errors.ApiError api) {
                MlflowHttpException http = assertInstanceOf(MlflowHttpException.class, translated);
                assertEquals(api.httpStatus() == null ? 400 : api.httpStatus(), http.getStatusCode());
                assertTrue(http.getBodyMessage().startsWith("{\"error_code\": "), http.getBodyMessage());
            }
        }
    }

    @Test
    void ioFailuresAreClientExceptionsAndOthersPassThrough() {
        UncheckedIOException io = new UncheckedIOException("disk full", new java.io.IOException("disk full"));
        assertInstanceOf(MlflowClientException.class, Translate.error(io));
        IllegalStateException other = new IllegalStateException("x");
        assertSame(other, Translate.error(other));
    }
}
