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
                    .then(Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"not now\"}"))
                    .otherwise(r -> Answer.json(200, "{}"));
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
}
