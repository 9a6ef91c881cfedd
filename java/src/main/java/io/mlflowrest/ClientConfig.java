package io.mlflowrest;

import io.mlflowrest.errors.InvalidParameterValueError;

import io.mlflowrest.generated.Rules;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything a client needs: server, credentials, TLS, timeout and retry policy. Immutable;
 * made by {@link #fromEnvironment()} (MLflow's variable names, docs/design.md) or by the
 * validating {@link #builder()}. {@link #toString()} never shows the password or token.
 *
 * @serial exclude
 */
public final class ClientConfig implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * Metric-only log-batch requests in flight at once unless configured. Two let the default
     * 4-worker server ingest ~1.7x faster than one (measured on 2 cores with SQLite); a
     * single-worker server is neither helped nor hurt.
     */
    public static final int DEFAULT_BATCH_CONCURRENCY = Rules.DEFAULT_BATCH_CONCURRENCY;
    /** The background logger's flush and end-of-run wait (family-rules.yaml, flush_timeout). */
    public static final Duration DEFAULT_FLUSH_TIMEOUT = seconds(defaultOf("flush_timeout"));
    /** How long one call retries overload answers after maxRetries (family-rules.yaml, overload_timeout). */
    public static final Duration DEFAULT_OVERLOAD_TIMEOUT = seconds(defaultOf("overload_timeout"));
    /** Write slots shared by the processes of this host writing to one server (family-rules.yaml, host_write_slots). */
    public static final int DEFAULT_HOST_WRITE_SLOTS = (int) defaultOf("host_write_slots");

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
    private final Duration flushTimeout;
    private final Duration overloadTimeout;
    private final int hostWriteSlots;
    private final Path journalDir;
    private final String journalFsync;
    private final double journalFsyncIntervalSeconds;
    private final String journalOnUnreachable;

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
        this.flushTimeout = b.flushTimeout;
        this.overloadTimeout = b.overloadTimeout;
        this.hostWriteSlots = b.hostWriteSlots;
        this.journalDir = b.journalDir != null || !b.isOffline() ? b.journalDir : b.offlineDir();
        this.journalFsync = b.journalFsync;
        this.journalFsyncIntervalSeconds = b.journalFsyncIntervalSeconds;
        this.journalOnUnreachable = b.journalOnUnreachable;
    }

    /** {@return an empty builder: only the tracking URI is required} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads MLFLOW_TRACKING_URI and the other MLFLOW_* variables of this process.
     *
     * @return the configuration
     * @throws io.mlflowrest.errors.InvalidParameterValueError when MLFLOW_TRACKING_URI is unset or a variable
     *     has a value it cannot take, naming the variable
     */
    public static ClientConfig fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Same as {@link #fromEnvironment()} with the given variables and home folder (tests use it).
     * Each setting from, highest first: MLflow's variable, (databricks URIs) the DATABRICKS_*
     * variable, the profile, the default (openapi/family-rules.yaml, config).
     *
     * @param env the variables, e.g. {@code System.getenv()}
     * @param home the folder holding .databrickscfg
     * @return the configuration
     * @throws io.mlflowrest.errors.InvalidParameterValueError when MLFLOW_TRACKING_URI is unset or a variable
     *     has a value it cannot take, naming the variable
     */
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
            b.insecureTls(flag("MLFLOW_TRACKING_INSECURE_TLS", env.get("MLFLOW_TRACKING_INSECURE_TLS")));
        }
        if (env.containsKey("MLFLOW_TRACKING_SERVER_CERT_PATH")) {
            b.serverCertPath(Path.of(env.get("MLFLOW_TRACKING_SERVER_CERT_PATH")));
        }
        if (env.containsKey("MLFLOW_TRACKING_CLIENT_CERT_PATH")) {
            b.clientCertPath(Path.of(env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH")));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_MAX_RETRIES")) {
            b.maxRetries(integer(env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES"));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")) {
            b.backoffFactorSeconds(number(env, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER")) {
            b.backoffJitterSeconds(number(env, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"));
        }
        if (env.containsKey("MLFLOW_HTTP_REQUEST_TIMEOUT")) {
            b.timeout(duration(env, "MLFLOW_HTTP_REQUEST_TIMEOUT"));
        }
        if (env.containsKey("MLFLOWREST_BATCH_CONCURRENCY")) {
            b.batchConcurrency(integer(env, "MLFLOWREST_BATCH_CONCURRENCY"));
        }
        if (env.containsKey("MLFLOWREST_FLUSH_TIMEOUT")) {
            b.flushTimeout(duration(env, "MLFLOWREST_FLUSH_TIMEOUT"));
        }
        if (env.containsKey("MLFLOWREST_OVERLOAD_TIMEOUT")) {
            b.overloadTimeout(duration(env, "MLFLOWREST_OVERLOAD_TIMEOUT"));
        }
        if (env.containsKey("MLFLOWREST_HOST_WRITE_SLOTS")) {
            b.hostWriteSlots(integer(env, "MLFLOWREST_HOST_WRITE_SLOTS"));
        }
        if (env.containsKey("MLFLOWREST_JOURNAL_DIR") && !env.get("MLFLOWREST_JOURNAL_DIR").isBlank()) {
            b.journalDir(Path.of(env.get("MLFLOWREST_JOURNAL_DIR")));
        }
        if (env.containsKey("MLFLOWREST_JOURNAL_FSYNC")) {
            b.journalFsync(choice(env, "MLFLOWREST_JOURNAL_FSYNC"));
        }
        if (env.containsKey("MLFLOWREST_JOURNAL_FSYNC_INTERVAL")) {
            b.journalFsyncIntervalSeconds(number(env, "MLFLOWREST_JOURNAL_FSYNC_INTERVAL"));
        }
        if (env.containsKey("MLFLOWREST_JOURNAL_ON_UNREACHABLE")) {
            b.journalOnUnreachable(choice(env, "MLFLOWREST_JOURNAL_ON_UNREACHABLE"));
        }
        return b.build();
    }

    /**
     * A boolean spelt as MLflow spells them (family-rules.yaml, config.truthy / falsy), else an error naming
     * it.
     *
     * @param name the variable's name, for the error
     * @param raw its value, compared case-insensitively
     * @return true for true/1, false for false/0/empty
     * @throws io.mlflowrest.errors.InvalidParameterValueError for any other spelling
     */
    public static boolean flag(String name, String raw) {
        String value = raw.strip().toLowerCase(java.util.Locale.ROOT);
        if (Rules.TRUTHY.contains(value)) {
            return true;
        }
        if (Rules.FALSY.contains(value)) {
            return false;
        }
        throw invalid(name, "true/1/false/0", name + "='" + raw + "' is not a boolean (true/1/false/0)");
    }

    /** A count: a whole number within int's range, where a cast would silently cut "2.5" or "1e12". */
    private static int integer(Map<String, String> env, String name) {
        double value = number(env, name);
        if (value != Math.rint(value) || value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw invalid(name, "a whole number up to " + Integer.MAX_VALUE, name + " must be a whole number, got '" + env.get(name) + "'");
        }
        return (int) value;
    }

    /** An enum variable's value, lower-cased, or an error naming the variable and the values it takes. */
    private static String choice(Map<String, String> env, String name) {
        for (Rules.Variable v : Rules.CONFIG_VARIABLES) {
            if (v.env().equals(name)) {
                return oneOf(v, name, env.get(name));
            }
        }
        throw new IllegalStateException("family-rules.yaml has no config variable " + name);
    }

    private static String oneOf(Rules.Variable v, String field, String raw) {
        String value = raw == null ? "" : raw.strip().toLowerCase(java.util.Locale.ROOT);
        if (!v.values().contains(value)) {
            String limit = String.join("/", v.values());
            throw invalid(field, "one of " + limit, field + "='" + raw + "' is not one of " + limit);
        }
        return value;
    }

    private static Rules.Variable variable(String name) {
        for (Rules.Variable v : Rules.CONFIG_VARIABLES) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        throw new IllegalStateException("family-rules.yaml has no config variable " + name);
    }

    /** A variable in seconds (bounds from family-rules.yaml) as a Duration, refused past what a Duration of millis holds. */
    private static Duration duration(Map<String, String> env, String name) {
        double seconds = number(env, name);
        if (seconds * 1000 >= Long.MAX_VALUE) {
            throw invalid(name, "at most " + Long.MAX_VALUE / 1000 + " seconds", "got " + env.get(name));
        }
        return seconds(seconds);
    }

    private static double number(Map<String, String> env, String name) {
        double value;
        try {
            value = Double.parseDouble(env.get(name).trim());
        } catch (NumberFormatException e) {
            throw invalid(name, "a number", name + " must be a number, got '" + env.get(name) + "'");
        }
        for (Rules.Variable v : Rules.CONFIG_VARIABLES) {
            if (v.env().equals(name)) {
                bound(v, value, name);
            }
        }
        return value;
    }

    /**
     * A copy with changes, e.g. {@code config.toBuilder().maxRetries(0).build()}.
     *
     * @return a builder holding this configuration's values
     */
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
        b.flushTimeout = flushTimeout;
        b.overloadTimeout = overloadTimeout;
        b.hostWriteSlots = hostWriteSlots;
        b.journalDir = journalDir;
        b.journalFsync = journalFsync;
        b.journalFsyncIntervalSeconds = journalFsyncIntervalSeconds;
        b.journalOnUnreachable = journalOnUnreachable;
        return b;
    }

    /** {@return the server's base URI, without credentials or a trailing slash} */
    public URI trackingUri() {
        return trackingUri;
    }

    /** {@return the basic-auth user, or null} */
    public String username() {
        return username;
    }

    /** {@return the basic-auth password, or null; never printed} */
    public String password() {
        return password;
    }

    /** {@return the bearer token, or null; never printed (basic auth wins when both are set)} */
    public String token() {
        return token;
    }

    /** {@return true when the server's TLS certificate is not checked} */
    public boolean insecureTls() {
        return insecureTls;
    }

    /** {@return the CA bundle (PEM) trusted for the server, or null for the JVM's default trust} */
    public Path serverCertPath() {
        return serverCertPath;
    }

    /** {@return the client certificate with its key (PEM) for mutual TLS, or null} */
    public Path clientCertPath() {
        return clientCertPath;
    }

    /** {@return how many times a failed request is retried after the first try} */
    public int maxRetries() {
        return maxRetries;
    }

    /** {@return the first backoff sleep in seconds, doubled per retry up to 60 s} */
    public double backoffFactorSeconds() {
        return backoffFactorSeconds;
    }

    /** {@return the most random time, in seconds, added to each backoff sleep} */
    public double backoffJitterSeconds() {
        return backoffJitterSeconds;
    }

    /** {@return how long one request may take to connect and to answer} */
    public Duration timeout() {
        return timeout;
    }

    /**
     * {@return how many metric-only log-batch requests one logBatch keeps in flight (1: one after another)}
     */
    public int batchConcurrency() {
        return batchConcurrency;
    }

    /**
     * How long the background logger's flush and end-of-run wait before giving up (RequestTimeoutError).
     *
     * @return the wait
     */
    public Duration flushTimeout() {
        return flushTimeout;
    }

    /**
     * How long one call keeps retrying the server's overload answers (a full connection pool, a
     * locked database, a proxy's 503/504) after maxRetries are spent, counted from its first try.
     * Zero: they count like any other failure.
     *
     * @return the budget
     */
    public Duration overloadTimeout() {
        return overloadTimeout;
    }

    /**
     * How many write slots the processes of this host writing to the same server share: every
     * log-batch request holds one while in flight, so no server worker gets more of this host's
     * writes than its connection pool serves. 0: this process takes none.
     *
     * @return the number of slots
     */
    public int hostWriteSlots() {
        return hostWriteSlots;
    }

    /**
     * {@return the journal directory (MLFLOWREST_JOURNAL_DIR, or DIR of an offline:DIR URI); null: no journal}
     */
    public Path journalDir() {
        return journalDir;
    }

    /** {@return true for an offline:DIR tracking URI: writes are recorded in the journal, nothing is sent} */
    public boolean offline() {
        return Rules.JOURNAL_OFFLINE_SCHEME.equals(trackingUri.getScheme());
    }

    /** {@return when journal records reach the disk: "always", "interval" or "never" (MLFLOWREST_JOURNAL_FSYNC)} */
    public String journalFsync() {
        return journalFsync;
    }

    /** {@return the longest time between two fsyncs of the journal, in seconds (MLFLOWREST_JOURNAL_FSYNC_INTERVAL)} */
    public double journalFsyncIntervalSeconds() {
        return journalFsyncIntervalSeconds;
    }

    /**
     * {@return "keep" (logging goes on into the journal while the server is away) or "raise"
     * (MLFLOWREST_JOURNAL_ON_UNREACHABLE)}
     */
    public String journalOnUnreachable() {
        return journalOnUnreachable;
    }

    private static double defaultOf(String name) {
        for (Rules.Variable v : Rules.CONFIG_VARIABLES) {
            if (v.name().equals(name)) {
                return Double.parseDouble(v.defaultValue());
            }
        }
        throw new IllegalStateException("family-rules.yaml has no config variable " + name);
    }

    private static Duration seconds(double seconds) {
        return Duration.ofMillis((long) (seconds * 1000));
    }

    @Override
    public String toString() {
        String auth = username != null ? "basic " + username + ":***" : token != null ? "bearer token ***" : "none";
        return "ClientConfig{trackingUri=" + trackingUri + ", auth=" + auth + ", insecureTls=" + insecureTls
                + ", maxRetries=" + maxRetries + ", backoffFactor=" + backoffFactorSeconds + "s, backoffJitter="
                + backoffJitterSeconds + "s, timeout=" + timeout + ", batchConcurrency=" + batchConcurrency
                + ", flushTimeout=" + flushTimeout + ", overloadTimeout=" + overloadTimeout
                + ", hostWriteSlots=" + hostWriteSlots
                + (journalDir == null ? "" : ", journalDir=" + journalDir + ", journalFsync=" + journalFsync) + "}";
    }

    /**
     * A configuration travels (e.g. to Spark executors) as its values, not as its fields: paths
     * are strings, and the receiving side rebuilds it through the builder's checks.
     */
    private Object writeReplace() {
        return new Serialized(this);
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("ClientConfig is read through its serialized form");
    }

    private record Serialized(String trackingUri, String username, String password, String token,
            boolean insecureTls, String serverCertPath, String clientCertPath, int maxRetries,
            double backoffFactorSeconds, double backoffJitterSeconds, long timeoutMillis, int batchConcurrency,
            long flushTimeoutMillis, long overloadTimeoutMillis, int hostWriteSlots, String journalDir,
            String journalFsync, double journalFsyncIntervalSeconds, String journalOnUnreachable)
            implements java.io.Serializable {
        Serialized(ClientConfig c) {
            this(c.trackingUri.toString(), c.username, c.password, c.token, c.insecureTls,
                    c.serverCertPath == null ? null : c.serverCertPath.toString(),
                    c.clientCertPath == null ? null : c.clientCertPath.toString(), c.maxRetries,
                    c.backoffFactorSeconds, c.backoffJitterSeconds, c.timeout.toMillis(), c.batchConcurrency,
                    c.flushTimeout.toMillis(), c.overloadTimeout.toMillis(), c.hostWriteSlots,
                    c.journalDir == null ? null : c.journalDir.toString(), c.journalFsync,
                    c.journalFsyncIntervalSeconds, c.journalOnUnreachable);
        }

        private Object readResolve() {
            Builder b = builder().trackingUri(trackingUri).insecureTls(insecureTls).maxRetries(maxRetries)
                    .backoffFactorSeconds(backoffFactorSeconds).backoffJitterSeconds(backoffJitterSeconds)
                    .timeout(Duration.ofMillis(timeoutMillis)).batchConcurrency(batchConcurrency)
                    .flushTimeout(Duration.ofMillis(flushTimeoutMillis))
                    .overloadTimeout(Duration.ofMillis(overloadTimeoutMillis)).hostWriteSlots(hostWriteSlots)
                    .journalFsync(journalFsync)
                    .journalFsyncIntervalSeconds(journalFsyncIntervalSeconds).journalOnUnreachable(journalOnUnreachable);
            if (journalDir != null) {
                b.journalDir(Path.of(journalDir));
            }
            if (username != null) {
                b.basicAuth(username, password);
            }
            if (token != null) {
                b.token(token);
            }
            if (serverCertPath != null) {
                b.serverCertPath(Path.of(serverCertPath));
            }
            if (clientCertPath != null) {
                b.clientCertPath(Path.of(clientCertPath));
            }
            return b.build();
        }

        @Override
        public String toString() {
            return "ClientConfig.Serialized[" + trackingUri + "]"; // never the secrets
        }
    }

    /**
     * Builds a {@link ClientConfig}; {@link #build()} validates: an http(s) URI, both or neither of username
     * and password, no negative numbers.
     */
    public static final class Builder {
        private URI trackingUri;
        private String username;
        private String password;
        private String token;
        private boolean insecureTls;
        private Path serverCertPath;
        private Path clientCertPath;
        private int maxRetries = Rules.DEFAULT_MAX_RETRIES;
        private double backoffFactorSeconds = Rules.DEFAULT_BACKOFF_FACTOR_SECONDS;
        private double backoffJitterSeconds = Rules.DEFAULT_BACKOFF_JITTER_SECONDS;
        private Duration timeout = Duration.ofMillis((long) (Rules.DEFAULT_TIMEOUT_SECONDS * 1000));
        private int batchConcurrency = DEFAULT_BATCH_CONCURRENCY;
        private Duration flushTimeout = DEFAULT_FLUSH_TIMEOUT;
        private Duration overloadTimeout = DEFAULT_OVERLOAD_TIMEOUT;
        private int hostWriteSlots = DEFAULT_HOST_WRITE_SLOTS;
        private Path journalDir;
        private String journalFsync = variable("journal_fsync").defaultValue();
        private double journalFsyncIntervalSeconds = defaultOf("journal_fsync_interval");
        private String journalOnUnreachable = variable("journal_on_unreachable").defaultValue();

        private Builder() {}

        private boolean isOffline() {
            return trackingUri != null && Rules.JOURNAL_OFFLINE_SCHEME.equals(trackingUri.getScheme());
        }

        /** offline:/abs/dir, offline:///abs/dir and offline:relative/dir all name a directory. */
        private Path offlineDir() {
            String path = trackingUri.getPath() != null ? trackingUri.getPath() : trackingUri.getSchemeSpecificPart();
            return Path.of(path);
        }

        /**
         * Records every write in a journal in this directory before sending it (MLFLOWREST_JOURNAL_DIR,
         * docs/journal.md); null: no journal. An offline:DIR tracking URI journals into DIR.
         *
         * @param dir the journal directory, created when missing
         * @return this builder
         */
        public Builder journalDir(Path dir) {
            this.journalDir = dir;
            return this;
        }

        /**
         * When journal records reach the disk (MLFLOWREST_JOURNAL_FSYNC).
         *
         * @param policy "always", "interval" or "never", any case
         * @return this builder
         * @throws io.mlflowrest.errors.InvalidParameterValueError for any other value
         */
        public Builder journalFsync(String policy) {
            this.journalFsync = oneOf(variable("journal_fsync"), "journal_fsync", policy);
            return this;
        }

        /**
         * The longest time between two fsyncs with the "interval" policy (MLFLOWREST_JOURNAL_FSYNC_INTERVAL).
         *
         * @param seconds more than zero
         * @return this builder
         */
        public Builder journalFsyncIntervalSeconds(double seconds) {
            this.journalFsyncIntervalSeconds = seconds;
            return this;
        }

        /**
         * With a journal and the server away beyond the retry budget: "keep" logging into the journal, or
         * "raise" the error (MLFLOWREST_JOURNAL_ON_UNREACHABLE).
         *
         * @param action "keep" or "raise", any case
         * @return this builder
         * @throws io.mlflowrest.errors.InvalidParameterValueError for any other value
         */
        public Builder journalOnUnreachable(String action) {
            this.journalOnUnreachable = oneOf(variable("journal_on_unreachable"), "journal_on_unreachable", action);
            return this;
        }

        /**
         * Credentials written into the URI move to basic auth, so the URI can be shown anywhere.
         *
         * @param uri the server's http(s) URI, e.g. {@code http://127.0.0.1:5000} or one with a path prefix
         * @return this builder
         * @throws io.mlflowrest.errors.InvalidParameterValueError when the URI cannot be parsed
         */
        public Builder trackingUri(String uri) {
            String trimmed = uri.strip();
            URI parsed;
            try {
                parsed = URI.create(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            } catch (IllegalArgumentException e) {
                throw invalid("tracking_uri", "a URI", "cannot parse the tracking URI: " + e.getMessage());
            }
            String userInfo = parsed.getRawUserInfo();
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
                String pass = colon < 0 ? "" : userInfo.substring(colon + 1);
                basicAuth(decode(user), decode(pass));
                String at = parsed.getRawAuthority().substring(parsed.getRawAuthority().lastIndexOf('@') + 1);
                parsed = URI.create(parsed.getScheme() + "://" + at + (parsed.getRawPath() == null ? "" : parsed.getRawPath()));
            }
            this.trackingUri = parsed;
            return this;
        }

        private static String decode(String part) {
            return java.net.URLDecoder.decode(part.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        }

        /**
         * Sends HTTP basic auth (MLFLOW_TRACKING_USERNAME / _PASSWORD).
         *
         * @param username the user
         * @param password the password; never printed
         * @return this builder
         */
        public Builder basicAuth(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        /**
         * Sends {@code Authorization: Bearer} (MLFLOW_TRACKING_TOKEN), unless basic auth is also set.
         *
         * @param token the token; never printed
         * @return this builder
         */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /**
         * Skips checking the server's TLS certificate (MLFLOW_TRACKING_INSECURE_TLS); for test servers only.
         *
         * @param insecureTls true to skip the check
         * @return this builder
         */
        public Builder insecureTls(boolean insecureTls) {
            this.insecureTls = insecureTls;
            return this;
        }

        /**
         * Trusts this CA bundle for the server (MLFLOW_TRACKING_SERVER_CERT_PATH).
         *
         * @param caBundle a PEM file of CA certificates
         * @return this builder
         */
        public Builder serverCertPath(Path caBundle) {
            this.serverCertPath = caBundle;
            return this;
        }

        /**
         * Presents this certificate for mutual TLS (MLFLOW_TRACKING_CLIENT_CERT_PATH).
         *
         * @param pemWithKey a PEM file holding the certificate and its private key
         * @return this builder
         */
        public Builder clientCertPath(Path pemWithKey) {
            this.clientCertPath = pemWithKey;
            return this;
        }

        /**
         * Retries after the first try (MLFLOW_HTTP_REQUEST_MAX_RETRIES); 0 turns retrying off.
         *
         * @param maxRetries at least 0
         * @return this builder
         */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        /**
         * The first backoff sleep, doubled per retry up to 60 s (MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR).
         *
         * @param seconds at least 0; 0 with no jitter never sleeps (tests)
         * @return this builder
         */
        public Builder backoffFactorSeconds(double seconds) {
            this.backoffFactorSeconds = seconds;
            return this;
        }

        /**
         * The most random time added to each backoff sleep (MLFLOW_HTTP_REQUEST_BACKOFF_JITTER).
         *
         * @param seconds at least 0
         * @return this builder
         */
        public Builder backoffJitterSeconds(double seconds) {
            this.backoffJitterSeconds = seconds;
            return this;
        }

        /**
         * How long one request may take (MLFLOW_HTTP_REQUEST_TIMEOUT).
         *
         * @param timeout more than zero
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * Metric-only log-batch requests one logBatch (and the background logger) keeps in
         * flight; 1 sends strictly one after another. Env: MLFLOWREST_BATCH_CONCURRENCY.
         *
         * @param requests at least 1
         * @return this builder
         */
        public Builder batchConcurrency(int requests) {
            this.batchConcurrency = requests;
            return this;
        }

        /**
         * How long flush() and end-of-run wait for the background logger. Env: MLFLOWREST_FLUSH_TIMEOUT.
         *
         * @param timeout more than zero
         * @return this builder
         */
        public Builder flushTimeout(Duration timeout) {
            this.flushTimeout = timeout;
            return this;
        }

        /**
         * How long one call keeps retrying overload answers after maxRetries are spent, from its
         * first try; zero counts them like any other failure. Env: MLFLOWREST_OVERLOAD_TIMEOUT.
         *
         * @param timeout zero or more
         * @return this builder
         */
        public Builder overloadTimeout(Duration timeout) {
            this.overloadTimeout = timeout;
            return this;
        }

        /**
         * Write slots shared by every process of this host (Python, Java and R alike) writing to
         * the same server: each log-batch request holds one while in flight, waiting at most the
         * request timeout for it. Env: MLFLOWREST_HOST_WRITE_SLOTS.
         *
         * @param slots zero or more; 0 takes none (this process keeps only its own window)
         * @return this builder
         */
        public Builder hostWriteSlots(int slots) {
            this.hostWriteSlots = slots;
            return this;
        }

        /**
         * @return the immutable configuration
         * @throws io.mlflowrest.errors.InvalidParameterValueError naming the setting and its limit when one
         *     is missing or out of bounds
         */
        public ClientConfig build() {
            if (trackingUri == null) {
                throw invalid("tracking_uri", "required", "trackingUri is required");
            }
            String scheme = trackingUri.getScheme();
            if (isOffline()) {
                String dir = trackingUri.getPath() != null ? trackingUri.getPath() : trackingUri.getSchemeSpecificPart();
                if (dir == null || dir.isBlank()) {
                    throw invalid("tracking_uri", "offline:DIR", "an offline URI names a directory, got " + trackingUri);
                }
            } else if (!"http".equals(scheme) && !"https".equals(scheme) || trackingUri.getHost() == null) {
                throw invalid("tracking_uri", "http(s)://host[:port][/prefix] or offline:DIR", "got " + trackingUri);
            }
            if ((username == null) != (password == null)) {
                throw invalid("username/password", "both or neither", "basic auth needs both username and password");
            }
            // A token and basic auth together: basic wins, as in MLflow (family-rules.yaml, decisions).
            bound("max_retries", maxRetries);
            bound("backoff_factor", backoffFactorSeconds);
            bound("backoff_jitter", backoffJitterSeconds);
            bound("timeout", timeout == null ? 0 : timeout.toNanos() / 1e9);
            bound("batch_concurrency", batchConcurrency);
            bound("flush_timeout", flushTimeout == null ? 0 : flushTimeout.toNanos() / 1e9);
            bound("overload_timeout", overloadTimeout == null ? -1 : overloadTimeout.toNanos() / 1e9);
            bound("host_write_slots", hostWriteSlots);
            bound("journal_fsync_interval", journalFsyncIntervalSeconds);
            return new ClientConfig(this);
        }
    }

    /** The variable's bound from family-rules.yaml, or an error naming the setting and the limit. */
    private static void bound(String name, double value) {
        for (Rules.Variable v : Rules.CONFIG_VARIABLES) {
            if (v.name().equals(name)) {
                bound(v, value, name);
            }
        }
    }

    private static void bound(Rules.Variable v, double value, String field) {
        if (v.min() != null && (v.minExclusive() ? value <= v.min() : value < v.min())) {
            String limit = (v.minExclusive() ? "> " : ">= ") + plain(v.min());
            throw invalid(field, limit, field + " must be " + limit + ", got " + plain(value));
        }
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** Bad configuration is bad input like any other: the family's InvalidParameterValueError. */
    private static InvalidParameterValueError invalid(String field, String limit, String message) {
        return InvalidParameterValueError.clientSide(field, limit, message);
    }
}
