package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.RateLimitedError;
import io.mlflowrest.errors.RequestTimeoutError;
import io.mlflowrest.errors.ServerError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.RetryPolicy;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.unit.StubServer.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetryTest {
    private StubServer stub;

    @BeforeEach
    void start() throws Exception {
        stub = new StubServer();
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void retriesServerErrorsUntilSuccess() {
        stub.then(Answer.text(503, "text/html", "<html>busy</html>"))
                .then(Answer.json(502, "{}"))
                .then(Answer.json(200, "{\"experiment\":{\"experiment_id\":\"7\",\"name\":\"e\"}}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("e", client.experiments().get("7").getName());
        }
        assertEquals(3, stub.requests.size());
    }

    @Test
    void neverRetriesOther4xx() {
        stub.otherwise(r -> Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"bad\"}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertThrows(InvalidParameterValueError.class, () -> client.experiments().get("7"));
        }
        assertEquals(1, stub.requests.size());
    }

    @Test
    void givesUpAfterMaxRetriesWithTheStatusClass() {
        stub.otherwise(r -> Answer.json(500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"boom\"}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(2).build())) {
            ServerError e = assertThrows(ServerError.class, () -> client.experiments().get("7"));
            assertEquals(500, e.httpStatus());
            assertEquals("INTERNAL_ERROR", e.errorCode());
        }
        assertEquals(3, stub.requests.size());
    }

    @Test
    void honoursRetryAfterOn429() {
        stub.then(Answer.json(429, "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow\"}")
                .withHeader("Retry-After", "7")).then(Answer.json(200, "{}"));
        List<Duration> waits = new ArrayList<>();
        try (Transport transport = new Transport(stub.config().build(), waits::add)) {
            transport.json("GET", "/api/2.0/mlflow/experiments/get", Query.of(), null);
        }
        assertEquals(List.of(Duration.ofSeconds(7)), waits);
    }

    private static final String POOL_TIMEOUT =
            "{\"error_code\":\"BAD_REQUEST\",\"message\":\"QueuePool limit of size 5 overflow 10 reached\"}";
    private static final String BATCH = "{\"run_id\":\"r1\",\"metrics\":[{\"key\":\"m\",\"value\":1,\"timestamp\":1,\"step\":0}]}";

    @Test
    void overloadOutlivesMaxRetriesUntilOverloadTimeout() {
        // 64 writers on a --workers 1 server: refused for load six times, stored on the seventh.
        for (int i = 0; i < 6; i++) {
            stub.then(Answer.json(400, POOL_TIMEOUT));
        }
        stub.then(Answer.json(200, "{}"));
        List<Duration> waits = new ArrayList<>();
        var config = stub.config().maxRetries(2).backoffFactorSeconds(1).overloadTimeout(Duration.ofSeconds(100));
        try (Transport transport = new Transport(config.build(), waits::add)) {
            transport.call(io.mlflowrest.generated.Routes.RUNS_LOG_BATCH, Query.of(), Json.tryParse(BATCH));
        }
        assertEquals(7, stub.requests.size());
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L), waits.stream().map(Duration::toSeconds).toList(),
                "63 s waited, under the 100 s budget");
    }

    @Test
    void overloadGivesUpTypedOnceOverloadTimeoutHasPassed() {
        stub.otherwise(r -> Answer.json(400, POOL_TIMEOUT));
        List<Duration> waits = new ArrayList<>();
        var config = stub.config().maxRetries(2).backoffFactorSeconds(1).overloadTimeout(Duration.ofSeconds(20));
        try (Transport transport = new Transport(config.build(), waits::add)) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, () -> transport.call(
                    io.mlflowrest.generated.Routes.RUNS_LOG_BATCH, Query.of(), Json.tryParse(BATCH)));
            assertTrue(e.getMessage().contains("QueuePool"), e.getMessage());
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L), waits.stream().map(Duration::toSeconds).toList(),
                "the budget is spent after 31 s, not after 2 retries");
        assertEquals(6, stub.requests.size());
        // maxRetries 0: no retry at all, not even for overload.
        try (Transport transport = new Transport(config.maxRetries(0).overloadTimeout(Duration.ofSeconds(100)).build(),
                w -> { })) {
            assertThrows(InvalidParameterValueError.class, () -> transport.call(
                    io.mlflowrest.generated.Routes.RUNS_LOG_BATCH, Query.of(), Json.tryParse(BATCH)));
        }
        assertEquals(7, stub.requests.size());
    }

    @Test
    void onlyTheServersOwnOverloadAnswersOutliveMaxRetries() {
        var config = stub.config().maxRetries(2).overloadTimeout(Duration.ofSeconds(100));
        // A proxy's 503 may be an outage: max_retries, then the journal's.
        stub.otherwise(r -> Answer.text(503, "text/html", "<html>no healthy upstream</html>"));
        try (Transport transport = new Transport(config.build(), w -> { })) {
            assertThrows(ServerError.class, () -> transport.call(
                    io.mlflowrest.generated.Routes.RUNS_LOG_BATCH, Query.of(), Json.tryParse(BATCH)));
        }
        assertEquals(3, stub.requests.size());
        // overloadTimeout 0: the server's own overload answers count like any other failure.
        stub.otherwise(r -> Answer.json(400, POOL_TIMEOUT));
        try (Transport transport = new Transport(config.overloadTimeout(Duration.ZERO).build(), w -> { })) {
            assertThrows(InvalidParameterValueError.class, () -> transport.call(
                    io.mlflowrest.generated.Routes.RUNS_LOG_BATCH, Query.of(), Json.tryParse(BATCH)));
        }
        assertEquals(6, stub.requests.size());
    }

    @Test
    void rateLimitedAfterRetriesRunOut() {
        stub.otherwise(r -> Answer.json(429, "{\"error_code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"slow\"}")
                .withHeader("Retry-After", "0"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(1).build())) {
            assertThrows(RateLimitedError.class, () -> client.experiments().get("7"));
        }
        assertEquals(2, stub.requests.size());
    }

    @Test
    void backoffGrowsExponentiallyWithBoundedJitterAndCap() {
        RetryPolicy policy = new RetryPolicy(7, 0.5, 1.0);
        for (int n = 0; n < 10; n++) {
            double seconds = policy.delay(n, null).toNanos() / 1e9;
            double base = Math.min(0.5 * Math.pow(2, n), 60);
            assertTrue(seconds >= base && seconds <= base + 1.0, "retry " + n + " waited " + seconds);
        }
        assertEquals(Duration.ofSeconds(60), policy.delay(0, "3600"));
        assertEquals(Duration.ZERO, new RetryPolicy(7, 0, 0).delay(5, null));
        String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        double fromDate = policy.delay(0, inTenSeconds).toMillis() / 1000.0;
        assertTrue(fromDate > 8 && fromDate <= 10, "Retry-After as an HTTP date gave " + fromDate);
    }

    @Test
    void retriedUploadResendsTheWholeFileFromDisk(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("f.txt"), "x".repeat(100_000));
        stub.then(Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r1\",\"artifact_uri\":"
                + "\"mlflow-artifacts:/1/r1/artifacts\"}}}"));
        stub.then(Answer.dropped());
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            client.artifacts().upload("r1", file, "dir");
        }
        assertEquals(3, stub.requests.size());
        for (StubServer.Request put : stub.requests.subList(1, 3)) {
            assertEquals("PUT", put.method());
            assertEquals("/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/dir/f.txt", put.uri());
            assertEquals(100_000, put.body().length());
        }
    }

    @Test
    void retriesConnectionErrorsThenRaisesTransportError() throws Exception {
        String url = stub.url();
        stub.close();
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().trackingUri(url).maxRetries(2).build())) {
            TransportError e = assertThrows(TransportError.class, () -> client.experiments().get("7"));
            assertEquals("GET", e.method());
            assertEquals("/api/2.0/mlflow/experiments/get", e.path());
        }
    }

    @Test
    void slowAnswersRaiseRequestTimeoutAfterRetries() {
        stub.otherwise(r -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Answer.json(200, "{}");
        });
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().timeout(Duration.ofMillis(300))
                .maxRetries(1).build())) {
            RequestTimeoutError e = assertThrows(RequestTimeoutError.class, () -> client.experiments().get("7"));
            assertEquals("/api/2.0/mlflow/experiments/get", e.path());
        }
        assertEquals(2, stub.requests.size());
    }

    @Test
    void lostAnswerOfRunCreateReturnsTheRunTheFirstTryMade() {
        List<String> createdRequestIds = new ArrayList<>();
        stub.then(r -> {
            createdRequestIds.add(Json.tryParse(r.body()).path("tags").get(0).path("value").asText());
            return Answer.dropped();
        });
        stub.then(r -> {
            String filter = Json.tryParse(r.body()).path("filter").asText();
            assertTrue(filter.contains(createdRequestIds.get(0)), filter);
            return Answer.json(200, "{\"runs\":[{\"info\":{\"run_id\":\"abc\",\"experiment_id\":\"1\"}}]}");
        });
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("abc", client.runs().create("1").getInfo().getRunId());
        }
        assertEquals(List.of("/api/2.0/mlflow/runs/create", "/api/2.0/mlflow/runs/search"),
                stub.requests.stream().map(StubServer.Request::uri).toList());
    }

    @Test
    void createOnADeadKeptAliveConnectionAsksTheGuardBeforeResending() {
        stub.then(Answer.json(200, "{\"experiment\":{\"experiment_id\":\"1\"}}"));
        stub.then(Answer.dropped());
        stub.then(Answer.json(200, "{\"runs\":[{\"info\":{\"run_id\":\"made-by-first-try\"}}]}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(0).build())) {
            client.experiments().get("1");
            assertEquals("made-by-first-try", client.runs().create("1").getInfo().getRunId());
        }
        assertEquals(List.of("/api/2.0/mlflow/experiments/get?experiment_id=1", "/api/2.0/mlflow/runs/create",
                "/api/2.0/mlflow/runs/search"), stub.requests.stream().map(StubServer.Request::uri).toList());
    }

    @Test
    void experimentCreateRetryThatHitsItsOwnFirstTryReturnsIt() {
        List<String> ids = new ArrayList<>();
        stub.then(r -> {
            ids.add(Json.tryParse(r.body()).path("tags").get(0).path("value").asText());
            return Answer.json(503, "{}");
        });
        // the lookup before the retry finds the experiment carrying this call's id (under the
        // legacy key, which lookups still read): no second create
        stub.then(r -> Answer.json(200, "{\"experiment\":{\"experiment_id\":\"9\",\"name\":\"e\",\"tags\":"
                + "[{\"key\":\"mlflowrest.request_id\",\"value\":\"" + ids.get(0) + "\"}]}}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("9", client.experiments().create("e"));
        }
        assertEquals(List.of("/api/2.0/mlflow/experiments/create", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=e"),
                stub.requests.stream().map(StubServer.Request::uri).toList());
    }

    @Test
    void experimentCreateOfSomeoneElsesNameStillFails() {
        stub.then(Answer.json(400, "{\"error_code\":\"RESOURCE_ALREADY_EXISTS\",\"message\":\"exists\"}"));
        stub.then(Answer.json(200, "{\"experiment\":{\"experiment_id\":\"9\",\"name\":\"e\"}}"));
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertThrows(io.mlflowrest.errors.ResourceAlreadyExistsError.class, () -> client.experiments().create("e"));
        }
    }

    @Test
    void retriedMetricWriteResendsTheIdenticalPoint() {
        stub.then(Answer.dropped());
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            client.runs().logMetric("r1", "loss", 0.5, 1234, 3);
        }
        assertEquals(2, stub.requests.size());
        // The server stores an identical run/key/value/timestamp/step once: no duplicate point.
        assertEquals(stub.requests.get(0).body(), stub.requests.get(1).body());
    }
}
