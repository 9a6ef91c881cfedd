package io.mlflowrest;

import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.IniFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves {@code databricks} and {@code databricks://<profile>} as databricks-sdk (and so MLflow)
 * does: each field from its DATABRICKS_* variable, else from the profile in ~/.databrickscfg (or
 * DATABRICKS_CONFIG_FILE); a profile named in the URI must exist (openapi/family-rules.yaml).
 * Package-private beside ClientConfig, which alone reads it.
 */
record DatabricksProfile(String host, String token, String username, String password, boolean insecure) {
    /**
     * @param uri {@code databricks} or {@code databricks://<profile>}
     * @param env the environment
     * @param home the folder holding .databrickscfg
     * @return host, credentials and TLS choice
     * @throws io.mlflowrest.errors.InvalidParameterValueError when a named profile is missing or no host is
     *     found, naming the profile and the file
     */
    static DatabricksProfile resolve(String uri, Map<String, String> env, Path home) {
        String named = uri.startsWith("databricks://") ? uri.substring("databricks://".length()) : "";
        String profile = named.isEmpty() ? Rules.DATABRICKS_DEFAULT_PROFILE : named;
        String configured = env.get(Rules.DATABRICKS_CONFIG_FILE_ENV);
        Path file = configured != null ? Path.of(configured)
                : home.resolve(Rules.DATABRICKS_CONFIG_FILE_DEFAULT.replaceFirst("^~/", ""));
        Map<String, String> section = Files.isRegularFile(file) ? readSection(file, profile) : null;
        if (section == null && !named.isEmpty()) {
            throw InvalidParameterValueError.clientSide("tracking_uri", "an existing Databricks profile",
                    "no profile '" + profile + "' in " + file);
        }
        Map<String, String> fields = new HashMap<>();
        for (Rules.DatabricksVariable v : Rules.DATABRICKS_VARIABLES) {
            String value = env.get(v.env());
            if (value == null || value.isBlank()) {
                value = section == null ? null : section.get(v.profileKey());
            }
            if (value != null && !value.isBlank()) {
                fields.put(v.field(), value);
            }
        }
        if (!fields.containsKey("tracking_uri")) {
            throw InvalidParameterValueError.clientSide("tracking_uri", "DATABRICKS_HOST or a profile's host",
                    "no Databricks host for " + uri + ": DATABRICKS_HOST is not set and " + file + " has none");
        }
        String insecure = fields.get("insecure_tls");
        return new DatabricksProfile(fields.get("tracking_uri"), fields.get("token"), fields.get("username"),
                fields.get("password"), insecure != null && ClientConfig.flag("DATABRICKS_INSECURE", insecure));
    }

    /**
     * Sets the tracking URI, credentials and TLS choice on a config builder.
     *
     * @param builder the builder
     */
    void applyTo(ClientConfig.Builder builder) {
        builder.trackingUri(host.startsWith("http") ? host : "https://" + host);
        if (username != null && password != null) {
            builder.basicAuth(username, password);
        }
        if (token != null) {
            builder.token(token);
        }
        builder.insecureTls(insecure);
    }

    /** The profile's keys, or null when the file has no such section. */
    private static Map<String, String> readSection(Path file, String wanted) {
        try {
            return IniFile.section(file, wanted).orElse(null);
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getCause().getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DatabricksProfile{host=" + host + ", token=" + (token == null ? "none" : "***") + "}";
    }
}
