package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.ConflictError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.PermissionDeniedError;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.errors.ServerError;
import io.mlflowrest.errors.UnauthenticatedError;
import io.mlflowrest.errors.UnexpectedResponseError;
import io.mlflowrest.internal.ErrorMapper;
import io.mlflowrest.unit.StubServer.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErrorMappingTest {
    @ParameterizedTest
    @CsvSource({
        "400, INVALID_PARAMETER_VALUE, InvalidParameterValueError",
        "400, BAD_REQUEST, InvalidParameterValueError",
        "400, RESOURCE_ALREADY_EXISTS, ResourceAlreadyExistsError",
        "409, ALREADY_EXISTS, ResourceAlreadyExistsError",
        "404, RESOURCE_DOES_NOT_EXIST, ResourceDoesNotExistError",
        "404, ENDPOINT_NOT_FOUND, ResourceDoesNotExistError",
        "401, UNAUTHENTICATED, UnauthenticatedError",
        "403, PERMISSION_DENIED, PermissionDeniedError",
        "409, ABORTED, ConflictError",
        "409, RESOURCE_CONFLICT, ConflictError",
        "429, REQUEST_LIMIT_EXCEEDED, RateLimitedError",
        "500, INTERNAL_ERROR, ServerError",
        "503, TEMPORARILY_UNAVAILABLE, ServerError",
        "500, SOME_NEW_CODE, ServerError",
    })
    void jsonBodiesMapByErrorCode(int status, String code, String expected) {
        ApiError e = ErrorMapper.map(status, "{\"error_code\":\"" + code + "\",\"message\":\"m\"}", "POST", "/p");
        assertEquals(expected, e.getClass().getSimpleName());
        assertEquals(code, e.errorCode());
        assertEquals(status, e.httpStatus());
        assertEquals("m", e.serverMessage());
        assertEquals(status + " " + code + ": m (POST /p)", e.getMessage());
    }

    @Test
    void htmlAndTextBodiesMapByStatusWithTheirFirst200Characters() {
        String html = "<html><body>" + "x".repeat(500) + "</body></html>";
        ApiError unauth = ErrorMapper.map(401, html, "GET", "/p");
        assertInstanceOf(UnauthenticatedError.class, unauth);
        assertNull(unauth.errorCode());
        assertEquals(200, unauth.serverMessage().length());
        assertInstanceOf(PermissionDeniedError.class, ErrorMapper.map(403, "Invalid Host header", "GET", "/p"));
        assertInstanceOf(ResourceDoesNotExistError.class, ErrorMapper.map(404, "Not Found", "GET", "/p"));
        assertInstanceOf(ServerError.class, ErrorMapper.map(502, "<html>Bad Gateway</html>", "GET", "/p"));
        assertInstanceOf(ConflictError.class, ErrorMapper.map(409, "", "GET", "/p"));
        assertEquals(ApiError.class, ErrorMapper.map(418, "teapot", "GET", "/p").getClass());
    }

    @Test
    void alreadyExistsIsItsOwnClassThoughItIsA400() {
        ApiError e = ErrorMapper.map(400, "{\"error_code\":\"RESOURCE_ALREADY_EXISTS\",\"message\":\"m\"}", "POST", "/p");
        assertInstanceOf(ResourceAlreadyExistsError.class, e);
        assertTrue(!(e instanceof InvalidParameterValueError));
    }

    @Test
    void successWithHtmlBodyIsUnexpectedResponse() throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.otherwise(r -> Answer.text(200, "text/html", "<html>login page</html>"));
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
                UnexpectedResponseError e = assertThrows(UnexpectedResponseError.class,
                        () -> client.experiments().get("1"));
                assertEquals(200, e.httpStatus());
                assertTrue(e.getMessage().contains("login page"));
            }
        }
    }

    @Test
    void serverAnswersReachTheCallerTyped() throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.otherwise(r -> Answer.json(404,
                    "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"Run 'x' not found\"}"));
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
                ResourceDoesNotExistError e = assertThrows(ResourceDoesNotExistError.class,
                        () -> client.runs().get("x"));
                assertEquals("GET", e.method());
                assertEquals("/api/2.0/mlflow/runs/get", e.path());
            }
        }
    }
}
