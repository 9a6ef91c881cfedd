package io.mlflowrest.internal;

import io.mlflowrest.errors.InvalidParameterValueError;

import io.mlflowrest.ClientConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves {@code databricks} and {@code databricks://<profile>} like MLflow: the profile in
 * ~/.databrickscfg (or DATABRICKS_CONFIG_FILE), else DATABRICKS_HOST / DATABRICKS_TOKEN.
 */
public record DatabricksProfile(String host, String token, String username, String password, boolean insecure) {
    public static DatabricksProfile resolve(String uri, Map<String, String> env, Path home) {
        String profile = uri.startsWith("databricks://") ? uri.substring("databricks://".length()) : "DEFAULT";
        Path file = env.containsKey("DATABRICKS_CONFIG_FILE") ? Path.of(env.get("DATABRICKS_CONFIG_FILE"))
                : home.resolve(".databrickscfg");
        Map<String, String> section = Files.isRegularFile(file) ? readSection(file, profile) : Map.of();
        if (section.containsKey("host")) {
            return new DatabricksProfile(section.get("host"), section.get("token"), section.get("username"),
                    section.get("password"), Boolean.parseBoolean(section.getOrDefault("insecure", "false")));
        }
        if (env.containsKey("DATABRICKS_HOST")) {
            return new DatabricksProfile(env.get("DATABRICKS_HOST"), env.get("DATABRICKS_TOKEN"), null, null, false);
        }
        throw InvalidParameterValueError.clientSide("tracking_uri", "a Databricks profile or DATABRICKS_HOST",
                "no Databricks host for " + uri + ": no profile '" + profile + "' in " + file + " and DATABRICKS_HOST is not set");
    }

    public void applyTo(ClientConfig.Builder builder) {
        builder.trackingUri(host.startsWith("http") ? host : "https://" + host);
        if (token != null) {
            builder.token(token);
        } else if (username != null) {
            builder.basicAuth(username, password);
        }
        builder.insecureTls(insecure);
    }

    private static Map<String, String> readSection(Path file, String wanted) {
        Map<String, String> values = new HashMap<>();
        String current = null;
        try {
            for (String raw : Files.readAllLines(file)) {
                String line = raw.strip();
                if (line.startsWith("[") && line.endsWith("]")) {
                    current = line.substring(1, line.length() - 1).strip();
                } else if (wanted.equals(current) && line.contains("=") && !line.startsWith("#") && !line.startsWith(";")) {
                    int eq = line.indexOf('=');
                    values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return values;
    }

    @Override
    public String toString() {
        return "DatabricksProfile{host=" + host + ", token=" + (token == null ? "none" : "***") + "}";
    }
}
