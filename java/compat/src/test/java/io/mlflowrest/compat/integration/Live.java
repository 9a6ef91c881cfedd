package io.mlflowrest.compat.integration;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.compat.MlflowClient;
import java.util.UUID;

/** The harness server named by MLFLOW_TRACKING_URI; tests skip when it is unset. */
final class Live {
    private Live() {}

    static MlflowClient dropIn() {
        assumeTrue(System.getenv("MLFLOW_TRACKING_URI") != null, "MLFLOW_TRACKING_URI is not set (run via make test-java)");
        return new MlflowClient();
    }

    /** A plain mlflowrest client to check what the drop-in stored. */
    static MlflowRestClient check() {
        return MlflowRestClient.fromEnvironment();
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
