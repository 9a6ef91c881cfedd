package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mlflowrest.MlflowRestClient;
import java.util.UUID;

/** The harness server named by MLFLOW_TRACKING_URI; tests skip when it is unset. */
final class LiveServer {
    private LiveServer() {}

    static MlflowRestClient client() {
        assumeTrue(System.getenv("MLFLOW_TRACKING_URI") != null, "MLFLOW_TRACKING_URI is not set (run via make test-java)");
        return MlflowRestClient.fromEnvironment();
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
