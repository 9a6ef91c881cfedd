package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;

/**
 * 50,000 points with two log-batch requests in flight (the default) land whole: the chunks of
 * one key race for its first insert, which the server retries rather than loses.
 */
class ConcurrentBatchIntegrationTest {
    private static final int POINTS = 50_000;
    private static final int KEYS = 5;

    private static void assertAllStored(MlflowRestClient client, String runId) {
        for (int k = 0; k < KEYS; k++) {
            Set<Long> steps = new HashSet<>();
            client.metrics().history(runId, "m" + k).forEach(m -> steps.add(m.getStep()));
            assertEquals(POINTS / KEYS, steps.size(), "points of m" + k);
        }
    }

    @Test
    void fiftyThousandMetricsViaLogBatchAllStored() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("concurrent-batch"));
            String id = client.runs().create(exp).getInfo().getRunId();
            List<Metric> metrics = IntStream.range(0, POINTS).mapToObj(i -> Metric.newBuilder().setKey("m" + (i % KEYS))
                    .setValue(i * 0.5).setTimestamp(1_700_000_000_000L).setStep(i).build()).toList();
            List<Param> params = List.of(Param.newBuilder().setKey("lr").setValue("0.1").build());
            // the param and 999 metrics first, alone; then 50 metric-only requests, two at a time
            assertEquals(51, client.runs().logBatch(id, metrics, params, List.of()));
            assertAllStored(client, id);
            assertEquals("0.1", client.runs().get(id).getData().getParams(0).getValue());
        }
    }

    @Test
    void fiftyThousandMetricsViaTheBackgroundLoggerAllStored() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("concurrent-bg"));
            String id;
            try (ActiveRun run = client.startRun(RunOptions.inExperiment(exp).logInBackground(Duration.ofMillis(200)))) {
                id = run.getId();
                for (int step = 0; step < POINTS / KEYS; step++) {
                    for (int k = 0; k < KEYS; k++) {
                        run.logMetric("m" + k, 1.0 / (step + 1), step);
                    }
                }
            }
            assertAllStored(client, id);
        }
    }
}
