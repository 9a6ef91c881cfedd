package io.mlflowrest.compat;

import io.mlflowrest.ClientConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.mlflow.tracking.creds.MlflowHostCreds;
import org.mlflow.tracking.creds.MlflowHostCredsProvider;

/**
 * mlflowrest configurations for the official constructors. The retry and timeout variables
 * (MLFLOW_HTTP_REQUEST_*) always come from the environment, which the official client ignores.
 */
final class Configs {
    private static final String[] CREDENTIAL_VARIABLES = {"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_INSECURE_TLS"};

    private Configs() {}

    static ClientConfig fromEnvironment() {
        return ClientConfig.fromEnvironment();
    }

    /** The environment's configuration with another tracking URI (http(s), databricks[://profile]). */
    static ClientConfig forUri(String trackingUri) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("MLFLOW_TRACKING_URI", trackingUri);
        return ClientConfig.fromEnvironment(env, home());
    }

    /** The provider's host and credentials, as the official client would use them. */
    static ClientConfig forCreds(MlflowHostCredsProvider provider) {
        MlflowHostCreds creds = provider.getHostCreds();
        Map<String, String> env = new HashMap<>(System.getenv());
        for (String name : CREDENTIAL_VARIABLES) {
            env.remove(name); // the provider's credentials replace the environment's, as in the official client
        }
        env.put("MLFLOW_TRACKING_URI", creds.getHost());
        ClientConfig.Builder b = ClientConfig.fromEnvironment(env, home()).toBuilder()
                .insecureTls(creds.shouldIgnoreTlsVerification());
        if (creds.getToken() != null) {
            b.token(creds.getToken());
        } else if (creds.getUsername() != null) {
            b.basicAuth(creds.getUsername(), creds.getPassword());
        }
        return b.build();
    }

    private static Path home() {
        return Path.of(System.getProperty("user.home"));
    }
}
