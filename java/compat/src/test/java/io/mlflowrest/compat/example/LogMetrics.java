package io.mlflowrest.compat.example;

import io.mlflowrest.compat.MlflowClient;

/**
 * Existing-code logging, one logMetric per step, for the fault suite (tests/faults): run id and
 * count as arguments, the server (or the fault proxy before it) from MLFLOW_TRACKING_URI.
 */
public class LogMetrics {
    public static void main(String[] args) {
        String runId = args[0];
        int count = Integer.parseInt(args[1]);
        try (MlflowClient client = new MlflowClient()) {
            for (int i = 0; i < count; i++) {
                client.logMetric(runId, "loss", i * 0.5, 1_700_000_000_000L + i, i);
            }
        }
        System.out.println("logged " + count);
    }
}
