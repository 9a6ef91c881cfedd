package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.unit.StubServer.Answer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackgroundLoggerTest {
    private static final String RUN = "{\"run\":{\"info\":{\"run_id\":\"r1\",\"experiment_id\":\"1\"}}}";

    @Test
    void queuedPointsGoOutAsOneBatchOnClose() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            stub.then(Answer.json(200, RUN));
            try (ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofHours(1)))) {
                for (int i = 0; i < 10; i++) {
                    run.logMetric("loss", i, i);
                }
                assertEquals(1, stub.requests.size(), "only runs/create before the flush");
            }
            assertEquals("/api/2.0/mlflow/runs/log-batch", stub.requests.get(1).uri());
            assertEquals("/api/2.0/mlflow/runs/update", stub.requests.get(2).uri());
            assertTrue(stub.requests.get(2).body().contains("FINISHED"));
        }
    }

    @Test
    void aFailedBackgroundSendIsThrownByClose() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            stub.then(Answer.json(200, RUN)).otherwise(r -> r.uri().endsWith("log-batch")
                    ? Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"deleted run\"}")
                    : Answer.json(200, "{}"));
            ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofMillis(20)));
            run.logMetric("loss", 1);
            Thread.sleep(300);
            assertThrows(InvalidParameterValueError.class, run::close);
        }
    }

    @Test
    void pointsOfAFailedSendAreSentAgainNotDropped() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            stub.then(Answer.json(200, RUN))
                    .otherwise(r -> Answer.json(200, "{}"));
            // A server gone for a while: every retry of the first send fails, the points wait.
            for (int i = 0; i < 4; i++) {
                stub.then(Answer.json(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"not now\"}"));
            }
            try (ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofMillis(20)))) {
                run.logMetric("loss", 1, 1);
                Thread.sleep(300); // the background send fails
                run.logMetric("loss", 2, 2);
            }
            var batches = stub.requests.stream().filter(r -> r.uri().endsWith("log-batch")).toList();
            // The first send failed; what the later (successful) sends carry must include its point.
            String stored = String.join("\n", batches.subList(1, batches.size()).stream().map(r -> r.body()).toList());
            assertTrue(batches.size() >= 2, "the failed batch was sent again");
            assertTrue(stored.matches("(?s).*\"step\":\"?1\"?[,}].*"), stored);
            assertTrue(stored.matches("(?s).*\"step\":\"?2\"?[,}].*"), stored);
        }
    }

    private static final String REFUSED =
            "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"Invalid timestamp -1\"}";

    private static java.util.List<StubServer.Request> batches(StubServer stub) {
        return stub.requests.stream().filter(r -> r.uri().endsWith("log-batch")).toList();
    }

    @Test
    void aRefusedPointIsIsolatedAndEveryOtherPointStored() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            stub.then(Answer.json(200, RUN)).otherwise(r -> r.uri().endsWith("log-batch") && r.body().contains("\"timestamp\":-1")
                    ? Answer.json(400, REFUSED)
                    : r.uri().contains("runs/get") ? Answer.json(200, RUN) : Answer.json(200, "{}"));
            ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofHours(1)));
            for (int step = 0; step < 100; step++) {
                run.logMetric("loss", step, step == 37 ? -1 : 1000 + step, step);
            }
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, run::close);
            assertTrue(e.getMessage().contains("99 points stored"), e.getMessage());
            assertTrue(e.getMessage().contains("loss=37.0 (step=37, timestamp=-1)"), e.getMessage());
            assertEquals(400, e.httpStatus());
            java.util.Set<Integer> stored = new java.util.TreeSet<>();
            java.util.regex.Pattern step = java.util.regex.Pattern.compile("\"step\":\"?(\\d+)");
            for (StubServer.Request r : batches(stub)) {
                if (!r.body().contains("\"timestamp\":-1")) {
                    step.matcher(r.body()).results().forEach(m -> stored.add(Integer.parseInt(m.group(1))));
                }
            }
            assertEquals(99, stored.size());
            assertTrue(!stored.contains(37));
            // Halving 100 points down to the refused one: 1 + 2 * ceil(log2 100) requests at most, no loop.
            assertTrue(batches(stub).size() <= 15, "requests: " + batches(stub).size());
            assertTrue(stub.requests.get(stub.requests.size() - 1).body().contains("FINISHED"), "the run is still ended");
        }
    }

    @Test
    void aDeletedRunStopsTheLoggerAndLaterCallsThrow() throws Exception {
        String deleted = "{\"run\":{\"info\":{\"run_id\":\"r1\",\"experiment_id\":\"1\",\"lifecycle_stage\":\"deleted\"}}}";
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            stub.then(Answer.json(200, RUN)).otherwise(r -> r.uri().endsWith("log-batch")
                    ? Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"The run r1 must be in the 'active' state.\"}")
                    : Answer.json(200, deleted));
            ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofHours(1)));
            for (int step = 0; step < 50; step++) {
                run.logMetric("loss", step, step);
            }
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, run::flush);
            assertTrue(e.getMessage().contains("0 points stored, stopped: 50 points not stored"), e.getMessage());
            assertEquals(1, batches(stub).size(), "one refusal and one runs/get, not 50 single-point sends");
            assertThrows(InvalidParameterValueError.class, () -> run.logMetric("loss", 1, 51));
            assertThrows(InvalidParameterValueError.class, run::close);
            assertEquals(1, batches(stub).size(), "nothing resent");
        }
    }

    @Test
    void aMissingRunStopsTheLoggerWithItsOwnError() throws Exception {
        String missing = "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"Run 'r1' not found\"}";
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            stub.then(Answer.json(200, RUN)).otherwise(r -> r.uri().endsWith("runs/update") ? Answer.json(200, "{}")
                    : Answer.json(404, missing));
            ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofHours(1)));
            run.logMetric("loss", 1, 1);
            var e = assertThrows(io.mlflowrest.errors.ResourceDoesNotExistError.class, run::close);
            assertTrue(e.getMessage().contains("1 points not stored"), e.getMessage());
            assertEquals(1, batches(stub).size());
        }
    }

    @Test
    void flushGivesUpAfterItsTimeoutSayingWhatIsUnsent() throws Exception {
        try (StubServer stub = new StubServer();
             MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(0)
                     .flushTimeout(Duration.ofMillis(300)).build())) {
            stub.then(Answer.json(200, RUN)).otherwise(r -> r.uri().endsWith("log-batch")
                    ? Answer.json(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"down\"}")
                    : Answer.json(200, "{}"));
            ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofMillis(20)));
            for (int step = 0; step < 7; step++) {
                run.logMetric("loss", step, step);
            }
            var e = assertThrows(io.mlflowrest.errors.RequestTimeoutError.class, () -> run.flush(Duration.ofMillis(400)));
            assertTrue(e.getMessage().contains("7 metric points of run r1 still unsent"), e.getMessage());
            assertThrows(io.mlflowrest.errors.RequestTimeoutError.class, run::flush, "the configured flushTimeout");
            assertThrows(io.mlflowrest.errors.RequestTimeoutError.class, run::close);
            // A log-batch in flight when close gave up may still land after the run's end.
            assertTrue(stub.requests.stream().anyMatch(r -> r.uri().endsWith("runs/update") && r.body().contains("FINISHED")),
                    "the run is still ended");
        }
    }

    @Test
    void flushTimeoutComesFromTheEnvironment() {
        var config = io.mlflowrest.ClientConfig.fromEnvironment(
                java.util.Map.of("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000", "MLFLOWREST_FLUSH_TIMEOUT", "2.5"),
                java.nio.file.Path.of("/nonexistent"));
        assertEquals(Duration.ofMillis(2500), config.flushTimeout());
        assertEquals(Duration.ofSeconds(120), io.mlflowrest.ClientConfig.builder().trackingUri("http://127.0.0.1:5000")
                .build().flushTimeout());
        var bad = assertThrows(InvalidParameterValueError.class, () -> io.mlflowrest.ClientConfig.builder()
                .trackingUri("http://127.0.0.1:5000").flushTimeout(Duration.ZERO).build());
        assertEquals("flush_timeout", bad.field());
    }
}
