package io.mlflowrest;

import io.mlflowrest.errors.InvalidParameterValueError;

import io.mlflowrest.internal.DatabricksProfile;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything a client needs: server, credentials, TLS, timeout and retry policy. Immutable;
 * made by {@link #fromEnvironment()} (MLflow's variable names, docs/design.md) or by the
 * validating {@link #builder()}. {@link #toString()} never shows the password or token.
 */
public final class ClientConfig {
    // Two requests in flight let the default 4-worker server ingest ~1.7x faster than one
    // (measured on 2 cores with SQLite); a single-worker server is neither helped nor hurt.
    public static final int DEFAULT_BATCH_CONCURRENCY = 2;

    private final URI trackingUri;
    private final String username;
    private final String password;
    private final String token;
    private final boolean insecureTls;
    private final Path serverCertPath;
    private final Path clientCertPath;
    private final int maxRetries;
    private final double backoffFactorSeconds;
    private final double backoffJitterSeconds;
    private final Duration timeout;
    private final int batchConcurrency;

    private ClientConfig(Builder b) {
        this.trackingUri = b.trackingUri;
        this.username = b.username;
        this.password = b.password;
        this.token = b.token;
        this.insecureTls = b.insecureTls;
        this.serverCertPath = b.serverCertPath;
        this.clientCertPath = b.clientCertPath;
        this.maxRetries = b.maxRetries;
        this.backoffFactorSeconds = b.backoffFactorSeconds;
        this.backoffJitterSeconds = b.backoffJitterSeconds;
        this.timeout = b.timeout;
        this.batchConcurrency = b.batchConcurrency;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads MLFLOW_TRACKING_URI and the other MLFLOW_* variables of this process. */
    public static ClientConfig fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** Same as {@link #fromEnvironment()} with the given variables and home folder (tests use it). */
    public static ClientConfig fromEnvironment(Map<String, String> env, Path home) {
        Builder b = builder();
        String uri = env.get("MLFLOW_TRACKING_URI");
        if (uri == null || uri.isBlank()) {
            throw invalid("tracking_uri", "required", "MLFLOW_TRACKING_URI is not set");
        }
        if (uri.equals("databricks") || uri.startsWith("databricks://")) {
            DatabricksProfile.resolve(uri, env, home).applyTo(b);
        } else {
            b.trackingUri(uri);
        }
        if (env.containsKey("MLFLOW_TRACKING_USERNAME") || env.containsKey("MLFLOW_TRACKING_PASSWORD")) {
            b.basicAuth(env.get("MLFLOW_TRACKING_USERNAME"), env.get("MLFLOW_TRACKING_PASSWORD"));
        }
        if (env.containsKey("MLFLOW_TRACKING_TOKEN")) {
            b.token(env.get("MLFLOW_TRACKING_TOKEN"));
        }
        if (env.containsKey("MLFLOW_TRACKING_INSECURE_TLS")) {
            b.insecureTls(Boolean.parseBoolean(env.get("MLFLOW_TRACKING_INSECURE_TLS").trim()));
        }
        if (env.containsKey("MLFLOW_TRACKING_SERVER_CERT_PATH")) {
            b.serverCertPath(Path.of(env.get("MLFLOW_TRACKING_SERVER_CERT_PATH")));
        }
        if (env.containsKey("MLFLOW_TRACKING_CLIENT_CERT_PATH")) {
            b.clientCertPath(Path.of(env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH")));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_MAX_RETRIES")) {
            b.maxRetries((int) number(env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES"));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")) {
            b.backoffFactorSeconds(number(env, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER")) {
            b.backoffJitterSeconds(number(env, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_TIMEOUT")) {
            b.timeout(Duration.ofMillis((long) (number(env, "MLFLOW_HTTP_REQUEST_TIMEOUT") * 1000)));
        }
        if (env.containsKey("MLFLOWREST_BATCH_CONCURRENCY")) {
            b.batchConcurrency((int) number(env, "MLFLOWREST_BATCH_CONCURRENCY"));
        }
        return b.build();
    }

    private static double number(Map<String, String> env, String name) {
        try {
            return Double.parseDouble(env.get(name).trim());
        } catch (NumberFormatException e) {
            throw invalid(name, "a number", "must be a number, got '" + env.get(name) + "'");
        }
    }

    /** A copy with changes, e.g. {@code config.toBuilder().maxRetries(0).build()}. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.trackingUri = trackingUri;
        b.username = username;
        b.password = password;
        b.token = token;
        b.insecureTls = insecureTls;
        b.serverCertPath = serverCertPath;
        b.clientCertPath = clientCertPath;
        b.maxRetries = maxRetries;
        b.backoffFactorSeconds = backoffFactorSeconds;
        b.backoffJitterSeconds = backoffJitterSeconds;
        b.timeout = timeout;
        b.batchConcurrency = batchConcurrency;
        return b;
    }

    public URI trackingUri() {
        return trackingUri;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    public String token() {
        return token;
    }

    public boolean insecureTls() {
        return insecureTls;
    }

    public Path serverCertPath() {
        return serverCertPath;
    }

    public Path clientCertPath() {
        return clientCertPath;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public double backoffFactorSeconds() {
        return backoffFactorSeconds;
    }

    public double backoffJitterSeconds() {
        return backoffJitterSeconds;
    }

    public Duration timeout() {
        return timeout;
    }

    /** How many metric-only log-batch requests one logBatch keeps in flight (1: one after another). */
    public int batchConcurrency() {
        return batchConcurrency;
    }

    @Override
    public String toString() {
        String auth = token != null ? "bearer token ***" : username != null ? "basic " + username + ":***" : "none";
        return "ClientConfig{trackingUri=" + trackingUri + ", auth=" + auth + ", insecureTls=" + insecureTls
                + ", maxRetries=" + maxRetries + ", backoffFactor=" + backoffFactorSeconds + "s, backoffJitter="
                + backoffJitterSeconds + "s, timeout=" + timeout + ", batchConcurrency=" + batchConcurrency + "}";
    }

    /** Validates on {@link #build()}: an http(s) URI, one kind of auth, sane numbers. */
    public static final class Builder {
        private URI trackingUri;
        private String username;
        private String password;
        private String token;
        private boolean insecureTls;
        private Path serverCertPath;
        private Path clientCertPath;
        private int maxRetries = 7;
        private double backoffFactorSeconds = 0.5;
        private double backoffJitterSeconds = 1.0;
        private Duration timeout = Duration.ofSeconds(120);
        private int batchConcurrency = DEFAULT_BATCH_CONCURRENCY;

        private Builder() {}

        public Builder trackingUri(String uri) {
            String trimmed = uri.strip();
            try {
                this.trackingUri = URI.create(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            } catch (IllegalArgumentException e) {
                throw invalid("tracking_uri", "a URI", "cannot parse '" + uri + "': " + e.getMessage());
            }
            return this;
        }

        public Builder basicAuth(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public Builder insecureTls(boolean insecureTls) {
            this.insecureTls = insecureTls;
            return this;
        }

        public Builder serverCertPath(Path caBundle) {
            this.serverCertPath = caBundle;
            return this;
        }

        public Builder clientCertPath(Path pemWithKey) {
            this.clientCertPath = pemWithKey;
            return this;
        }

        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        public Builder backoffFactorSeconds(double seconds) {
            this.backoffFactorSeconds = seconds;
            return this;
        }

        public Builder backoffJitterSeconds(double seconds) {
            this.backoffJitterSeconds = seconds;
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * Metric-only log-batch requests one logBatch (and the background logger) keeps in
         * flight; 1 sends strictly one after another. Env: MLFLOWREST_BATCH_CONCURRENCY.
         */
        public Builder batchConcurrency(int requests) {
            this.batchConcurrency = requests;
            return this;
        }

        public ClientConfig build() {
            if (trackingUri == null) {
                throw invalid("tracking_uri", "required", "trackingUri is required");
            }
            String scheme = trackingUri.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme) || trackingUri.getHost() == null) {
                throw invalid("tracking_uri", "http(s)://host[:port][/prefix]", "got " + trackingUri);
            }
            if (trackingUri.getUserInfo() != null) {
                throw invalid("tracking_uri", "no credentials in the URI", "put credentials in basicAuth() or MLFLOW_TRACKING_USERNAME/PASSWORD");
            }
            if ((username == null) != (password == null)) {
                throw invalid("username/password", "both or neither", "basic auth needs both username and password");
            }
            if (token != null && username != null) {
                throw invalid("token", "token or basic auth, not both", "give a token or basic auth, not both");
            }
            if (maxRetries < 0 || backoffFactorSeconds < 0 || backoffJitterSeconds < 0) {
                throw invalid("maxRetries/backoff", ">= 0", "maxRetries, backoffFactorSeconds and backoffJitterSeconds must be >= 0");
            }
            if (batchConcurrency < 1) {
                throw invalid("batch_concurrency", ">= 1", "batchConcurrency must be at least 1, got " + batchConcurrency);
            }
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw invalid("timeout", "> 0", "timeout must be positive");
            }
            return new ClientConfig(this);
        }
    }

    /** Bad configuration is bad input like any other: the family's InvalidParameterValueError. */
    private static InvalidParameterValueError invalid(String field, String limit, String message) {
        return InvalidParameterValueError.clientSide(field, limit, message);
    }
}
