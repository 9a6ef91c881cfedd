package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.OfficialBridge;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.unit.StubServer.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.tracking.MlflowClient;

class SecretsTest {
    private static final String TOKEN = "tok-SECRET-123";
    private static final String PASSWORD = "pw-SECRET-456";

    @Test
    void configFromEnvironmentReadsMlflowVariables(@TempDir Path home) {
        ClientConfig c = ClientConfig.fromEnvironment(Map.of(
                "MLFLOW_TRACKING_URI", "https://mlflow.example.com/prefix/",
                "MLFLOW_TRACKING_USERNAME", "ann", "MLFLOW_TRACKING_PASSWORD", PASSWORD,
                "MLFLOW_TRACKING_INSECURE_TLS", "true", "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2",
                "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0", "MLFLOW_HTTP_REQUEST_TIMEOUT", "1.5"), home);
        assertEquals("https://mlflow.example.com/prefix", c.trackingUri().toString());
        assertEquals("ann", c.username());
        assertTrue(c.insecureTls());
        assertEquals(2, c.maxRetries());
        assertEquals(1500, c.timeout().toMillis());
        assertFalse(c.toString().contains(PASSWORD), c.toString());
        ClientConfig copy = c.toBuilder().maxRetries(0).build();
        assertEquals(0, copy.maxRetries());
        assertEquals(PASSWORD, copy.password());
        assertEquals(c.trackingUri(), copy.trackingUri());
    }

    @Test
    void toStringNeverShowsTokenOrPassword() {
        ClientConfig token = ClientConfig.builder().trackingUri("http://127.0.0.1:1").token(TOKEN).build();
        ClientConfig basic = ClientConfig.builder().trackingUri("http://127.0.0.1:1").basicAuth("u", PASSWORD).build();
        assertFalse(token.toString().contains(TOKEN));
        assertFalse(basic.toString().contains(PASSWORD));
        try (MlflowRestClient client = MlflowRestClient.create(token)) {
            assertFalse(client.toString().contains(TOKEN));
        }
    }

    @Test
    void builderRejectsBadSettings() {
        assertThrows(InvalidParameterValueError.class, () -> ClientConfig.builder().trackingUri("file:///tmp").build());
        // family-rules.yaml: a token and basic auth together is allowed, and basic wins (as in MLflow)
        assertTrue(ClientConfig.builder().trackingUri("http://h").token("t").basicAuth("u", "p").build()
                .toString().contains("basic u:***"));
        assertThrows(InvalidParameterValueError.class, () -> ClientConfig.builder().trackingUri("http://h")
                .basicAuth("u", null).build());
        assertThrows(InvalidParameterValueError.class, () -> ClientConfig.builder().trackingUri("http://h")
                .maxRetries(-1).build());
        // family-rules.yaml: credentials in the URI move to basic auth, and the URI is shown without them
        ClientConfig moved = ClientConfig.builder().trackingUri("http://u:" + PASSWORD + "@h:5000/p").build();
        assertEquals("http://h:5000/p", moved.trackingUri().toString());
        assertEquals(PASSWORD, moved.password());
        assertFalse(moved.toString().contains(PASSWORD));
    }

    @Test
    void sendsBearerAndBasicHeadersButNeverLogsOrRaisesThem() throws Exception {
        List<LogRecord> logged = new ArrayList<>();
        Logger logger = Logger.getLogger("io.mlflowrest");
        Handler capture = new Handler() {
            public void publish(LogRecord r) {
                logged.add(r);
            }

            public void flush() {}

            public void close() {}
        };
        logger.addHandler(capture);
        logger.setLevel(Level.ALL);
        try (StubServer stub = new StubServer()) {
            stub.then(Answer.json(503, "{}")).otherwise(r -> Answer.json(401,
                    "{\"error_code\":\"UNAUTHENTICATED\",\"message\":\"no\"}"));
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().token(TOKEN).build())) {
                MlflowError e = assertThrows(MlflowError.class, () -> client.experiments().get("1"));
                assertFalse(e.getMessage().contains(TOKEN));
            }
            assertEquals("Bearer " + TOKEN, stub.requests.get(0).header("Authorization"));
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().basicAuth("u", PASSWORD).build())) {
                assertThrows(MlflowError.class, () -> client.experiments().get("1"));
            }
            String expected = "Basic " + Base64.getEncoder().encodeToString(("u:" + PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            assertEquals(expected, stub.requests.get(stub.requests.size() - 1).header("Authorization"));
        } finally {
            logger.removeHandler(capture);
        }
        assertFalse(logged.isEmpty(), "the retry should have been logged");
        for (LogRecord r : logged) {
            String text = r.getMessage() + " " + java.util.Arrays.toString(r.getParameters());
            assertFalse(text.contains(TOKEN) || text.contains(PASSWORD), text);
        }
    }

    @Test
    void databricksProfileComesFromTheConfigFile(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve(".databrickscfg"), "[DEFAULT]\nhost = https://default.example\ntoken = d1\n"
                + "[ml]\nhost = https://ml.example\ntoken = " + TOKEN + "\n");
        ClientConfig profile = ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "databricks://ml"), home);
        assertEquals("https://ml.example", profile.trackingUri().toString());
        assertEquals(TOKEN, profile.token());
        ClientConfig dflt = ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "databricks"), home);
        assertEquals("https://default.example", dflt.trackingUri().toString());
        // family-rules.yaml: a named profile that does not exist is an error, whatever DATABRICKS_HOST says
        assertThrows(InvalidParameterValueError.class, () -> ClientConfig.fromEnvironment(Map.of(
                "MLFLOW_TRACKING_URI", "databricks://none", "DATABRICKS_HOST", "https://env.example"), home));
        // ... and each DATABRICKS_* variable wins over its profile key, field by field
        ClientConfig fromEnv = ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "databricks://ml",
                "DATABRICKS_TOKEN", "t2"), home);
        assertEquals("https://ml.example", fromEnv.trackingUri().toString());
        assertEquals("t2", fromEnv.token());
    }

    @Test
    void officialClientBuiltByTheBridgeCarriesTheToken() throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.otherwise(r -> Answer.json(200, "{\"experiment\":{\"experiment_id\":\"1\",\"name\":\"e\"}}"));
            MlflowClient plain = new MlflowClient(stub.url());
            plain.getExperiment("1");
            assertNull(stub.requests.get(0).header("Authorization"), "the official constructor ignores tokens");
            MlflowClient bridged = OfficialBridge.officialClient(stub.config().token(TOKEN).build());
            bridged.getExperiment("1");
            assertEquals("Bearer " + TOKEN, stub.requests.get(1).header("Authorization"));
        }
    }
}
