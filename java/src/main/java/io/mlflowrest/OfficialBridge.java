package io.mlflowrest;

import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * Glue for code written against the official org.mlflow:mlflow-client: build its MlflowClient
 * from the same configuration (so MLFLOW_TRACKING_TOKEN / USERNAME / PASSWORD / INSECURE_TLS
 * work for it too, which its own constructors ignore), and hand its runs to mlflowrest for
 * what it lacks (native artifacts, registry writes, logged models...).
 */
public final class OfficialBridge {
    private OfficialBridge() {}

    /**
     * An official client with this configuration's server, credentials and TLS choice.
     *
     * @param config the mlflowrest configuration
     * @return a new official client; close it when done
     */
    public static MlflowClient officialClient(ClientConfig config) {
        return new MlflowClient(new BasicMlflowHostCreds(config.trackingUri().toString(), config.username(),
                config.password(), config.token(), config.insecureTls()));
    }

    /**
     * The official client's run (by its ActiveRun) as an mlflowrest run; closing it leaves the run open.
     *
     * @param client the mlflowrest client to log through
     * @param officialRun the official client's run
     * @return the same run, to log to through mlflowrest
     */
    public static ActiveRun attach(MlflowRestClient client, org.mlflow.tracking.ActiveRun officialRun) {
        return client.attachRun(officialRun.getId());
    }
}
