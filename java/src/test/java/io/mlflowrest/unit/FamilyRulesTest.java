package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.errors.UnexpectedResponseError;
import io.mlflowrest.generated.model.WebhookAction;
import io.mlflowrest.generated.model.WebhookEntity;
import io.mlflowrest.generated.model.WebhookEvent;
import io.mlflowrest.internal.Json;
import io.mlflowrest.unit.StubServer.Answer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules of openapi/family-rules.yaml, as the Java SDK follows them. */
class FamilyRulesTest {
    private StubServer stub;

    @BeforeEach
    void start() throws Exception {
        stub = new StubServer();
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    private List<String> paths() {
        return stub.requests.stream().map(r -> r.uri().split("\\?")[0]).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "400|{\"error_code\":\"BAD_REQUEST\",\"message\":\"(sqlalchemy.exc.TimeoutError) QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00\"}",
        "500|{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"(sqlite3.OperationalError) database is locked\"}",
        "400|{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"(sqlite3.OperationalError) database is locked\"}",
        "503|<html><body>no healthy upstream</body></html>",
        "504|<html><body>504 Gateway Time-out</body></html>"})
    void overloadAnswersAreRetriedThenSucceed(String answer) {
        String[] parts = answer.split("\\|", 2);
        int status = Integer.parseInt(parts[0]);
        stub.then(parts[1].startsWith("{") ? Answer.json(status, parts[1]) : Answer.text(status, "text/html", parts[1]));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            client.runs().logMetric("r1", "m", 1.0, 1, 0);
        }
        assertEquals(2, stub.requests.size());
    }

    @Test
    void aPlain400IsFinal() {
        stub.then(Answer.json(400, "{\"error_code\":\"BAD_REQUEST\",\"message\":\"bad key\"}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertThrows(InvalidParameterValueError.class, () -> client.runs().logMetric("r1", "m", 1.0, 1, 0));
        }
        assertEquals(1, stub.requests.size());
    }

    @Test
    void redirectsAreErrorsAndNotFollowed() {
        stub.then(Answer.text(302, "text/html", "").withHeader("Location", "https://sso.example/login?next=x"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            UnexpectedResponseError e = assertThrows(UnexpectedResponseError.class, () -> client.runs().get("r1"));
            assertEquals(302, e.httpStatus());
            assertTrue(e.getMessage().contains("sso.example/login") && !e.getMessage().contains("next=x"));
        }
        assertEquals(1, stub.requests.size());
    }

    @Test
    void errorCodeWinsOverADisagreeingStatus() {
        stub.otherwise(r -> Answer.json(500, "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"gone\"}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(0).build())) {
            assertThrows(ResourceDoesNotExistError.class, () -> client.runs().get("r1"));
        }
    }

    @Test
    void searchWithoutPageSizeSendsTheSpecDefault() {
        stub.then(Answer.json(200, "{\"experiments\":[]}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            client.experiments().search().forEach(e -> { });
        }
        assertEquals(1000, Json.tryParse(stub.requests.get(0).body()).path("max_results").asInt());
    }

    /** A lost first answer, then the lookup finds what it made: exactly one create sent. */
    private static Function<StubServer.Request, Answer> lostAnswer(List<String> ids) {
        return r -> {
            var tags = Json.tryParse(r.body()).path("tags");
            ids.add(tags.get(tags.size() - 1).path("value").asText());
            assertEquals("mlflow.mlflowrest.requestId", tags.get(tags.size() - 1).path("key").asText());
            return Answer.text(502, "text/html", "<html>bad gateway</html>");
        };
    }

    @Test
    void modelVersionCreateFindsWhatItsLostFirstTryMade() {
        List<String> ids = new ArrayList<>();
        stub.then(lostAnswer(ids));
        stub.then(r -> Answer.json(200, "{\"model_versions\":[{\"name\":\"m\",\"version\":\"3\"}]}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("3", client.modelVersions().create("m", "s", null).getVersion());
        }
        assertEquals(List.of("/api/2.0/mlflow/model-versions/create", "/api/2.0/mlflow/model-versions/search"), paths());
        assertTrue(stub.requests.get(1).uri().contains(ids.get(0)));
    }

    @Test
    void registeredModelCreateFindsWhatItsLostFirstTryMade() {
        List<String> ids = new ArrayList<>();
        stub.then(lostAnswer(ids));
        stub.then(r -> Answer.json(200, "{\"registered_model\":{\"name\":\"m\",\"tags\":[{\"key\":"
                + "\"mlflow.mlflowrest.requestId\",\"value\":\"" + ids.get(0) + "\"}]}}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("m", client.registeredModels().create("m").getName());
        }
        assertEquals(List.of("/api/2.0/mlflow/registered-models/create", "/api/2.0/mlflow/registered-models/get"),
                paths());
    }

    @Test
    void loggedModelCreateFindsWhatItsLostFirstTryMade() {
        List<String> ids = new ArrayList<>();
        stub.then(lostAnswer(ids));
        stub.then(r -> Answer.json(200, "{\"models\":[{\"info\":{\"model_id\":\"lm1\"}}]}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("lm1", client.loggedModels().create("1", null, null, null, Map.of(), Map.of()).info().modelId());
        }
        assertEquals(List.of("/api/2.0/mlflow/logged-models", "/api/2.0/mlflow/logged-models/search"), paths());
        assertTrue(stub.requests.get(1).body().contains(ids.get(0)));
    }

    @Test
    void webhookCreateFindsTheHookItsLostFirstTryMade() {
        String old = "{\"webhook_id\":\"old\",\"name\":\"h\",\"url\":\"https://e.example/x\"}";
        String made = "{\"webhook_id\":\"new\",\"name\":\"h\",\"url\":\"https://e.example/x\"}";
        stub.then(Answer.json(200, "{\"webhooks\":[" + old + "]}"));
        stub.then(Answer.dropped());
        stub.then(Answer.json(200, "{\"webhooks\":[" + old + "," + made + "]}"));
        WebhookEvent created = new WebhookEvent(WebhookEntity.REGISTERED_MODEL, WebhookAction.CREATED);
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("new", client.webhooks().create("h", "https://e.example/x", List.of(created), null, null)
                    .webhookId());
        }
        assertEquals(List.of("GET", "POST", "GET"), stub.requests.stream().map(StubServer.Request::method).toList());
    }

    @Test
    void aNeverOperationIsNotResentAfterAnAmbiguousFailure() {
        stub.otherwise(r -> Answer.json(503, "{}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertThrows(io.mlflowrest.errors.ServerError.class, () -> client.webhooks().test("w1", null));
        }
        assertEquals(1, stub.requests.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "TRUE", "true"})
    void insecureTlsTruthySpellings(String raw) {
        assertTrue(ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "https://h",
                "MLFLOW_TRACKING_INSECURE_TLS", raw), Path.of("/nonexistent")).insecureTls());
    }

    @Test
    void insecureTlsTypoIsAnErrorNamingTheVariable() {
        InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, () -> ClientConfig.fromEnvironment(
                Map.of("MLFLOW_TRACKING_URI", "https://h", "MLFLOW_TRACKING_INSECURE_TLS", "yes"), Path.of("/x")));
        assertEquals("MLFLOW_TRACKING_INSECURE_TLS", e.field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES=-1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR=-0.5",
        "MLFLOW_HTTP_REQUEST_TIMEOUT=0", "MLFLOWREST_BATCH_CONCURRENCY=0",
        "MLFLOWREST_OVERLOAD_TIMEOUT=-1", "MLFLOWREST_HOST_WRITE_SLOTS=-1", "MLFLOWREST_HOST_WRITE_SLOTS=2.5"})
    void outOfBoundsNumbersAreRejectedNamingTheVariable(String setting) {
        String[] kv = setting.split("=");
        InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, () -> ClientConfig.fromEnvironment(
                Map.of("MLFLOW_TRACKING_URI", "http://h", kv[0], kv[1]), Path.of("/x")));
        assertEquals(kv[0], e.field());
        assertFalse(e.limit().isEmpty());
    }

    @Test
    void basicWinsOverToken() {
        stub.then(Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r1\"}}}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().token("t").basicAuth("u", "p").build())) {
            client.runs().get("r1");
        }
        assertTrue(stub.requests.get(0).header("Authorization").startsWith("Basic "));
    }

    @Test
    void errorClassesComeFromTheRules() {
        assertInstanceOf(UnexpectedResponseError.class, io.mlflowrest.internal.ErrorMapper.map(301, "", "GET", "/p"));
    }
}
