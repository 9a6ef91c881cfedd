package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.JournalError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.RequestTimeoutError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.errors.UnexpectedResponseError;
import io.mlflowrest.generated.Route;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.http.Http11Client;
import io.mlflowrest.internal.http.Origin;
import io.mlflowrest.internal.http.Proxy;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import io.mlflowrest.internal.http.StaleConnectionException;
import io.mlflowrest.internal.journal.Journal;
import java.io.Closeable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one place that talks HTTP: base URL, auth, timeouts, retries and error mapping. Every
 * resource goes through {@link #json} or {@link #stream}; nothing else touches a socket.
 */
public final class Transport implements Closeable {
    private static final System.Logger LOG = System.getLogger("io.mlflowrest");
    private static final String USER_AGENT = Version.USER_AGENT;

    private final Http11Client http;
    // named in transport errors: "no answer" alone does not say which server is down
    private final String hostPort;
    private volatile boolean closed;
    private final String basePath;
    private final Map<String, String> headers;
    private final RetryPolicy retry;
    private final Sleeper sleeper;
    // Writes in flight across the client's threads, adapted to overload answers (WriteLimit).
    private final WriteLimit writeLimit;
    private final Duration timeout;
    private volatile Journal journal;

    /**
     * The client's one request helper.
     *
     * @param config server, credentials, TLS, timeout and retry policy
     */
    public Transport(ClientConfig config) {
        this(config, Sleeper.REAL);
    }

    /**
     * As above, with the retry sleeps made by {@code sleeper} (tests pass one that does not sleep).
     *
     * @param config server, credentials, TLS, timeout and retry policy
     * @param sleeper sleeps between tries
     */
    public Transport(ClientConfig config, Sleeper sleeper) {
        // offline: nothing is ever sent (send() refuses), so the origin is a placeholder
        URI uri = config.offline() ? URI.create("http://offline.invalid:1") : config.trackingUri();
        boolean https = uri.getScheme().equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        Origin origin = new Origin(uri.getHost(), port, https ? TlsFactory.create(config) : null, !config.insecureTls());
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis());
        Proxy proxy = Proxy.select(uri.getScheme(), uri.getHost(), System.getProperties(), System.getenv());
        this.http = new Http11Client(origin, proxy, uri.getPort() <= 0, timeoutMs, timeoutMs);
        this.hostPort = uri.getHost() + ":" + port;
        this.basePath = uri.getRawPath() == null ? "" : uri.getRawPath();
        this.retry = new RetryPolicy(config.maxRetries(), config.backoffFactorSeconds(), config.backoffJitterSeconds(),
                config.overloadTimeout().toNanos() / 1e9);
        this.sleeper = sleeper;
        this.timeout = config.timeout();
        // ... each write also holding one of the slots every process of this host shares for this
        // server (HostSlots), keyed by the address requests go to; offline, nothing is sent.
        this.writeLimit = new WriteLimit(config.batchConcurrency(),
                config.offline() ? HostSlots.none() : HostSlots.forServer(uri, config.hostWriteSlots()));
        Map<String, String> h = new LinkedHashMap<>();
        h.put("User-Agent", USER_AGENT);
        h.put("Accept", "application/json");
        // Basic wins when both are set, as in MLflow's rest_utils (family-rules.yaml, decisions).
        if (config.username() != null && config.password() != null) {
            String pair = config.username() + ":" + config.password();
            h.put("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        } else if (config.token() != null) {
            h.put("Authorization", "Bearer " + config.token());
        }
        this.headers = Map.copyOf(h);
    }

    /**
     * The client-wide limit on log-batch requests in flight, adapted to overload answers.
     *
     * @return the client's one write limit
     */
    public WriteLimit writeLimit() {
        return writeLimit;
    }

    /**
     * {@return the client's request timeout, also the longest wait for a write slot}
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Records every write of the spec in this journal before sending it (docs/journal.md); offline, answers
     * them from it and refuses every read.
     *
     * @param journal the client's journal
     */
    public void useJournal(Journal journal) {
        this.journal = journal;
    }

    /**
     * Sends a call the journal kept while the server was away, with the operation's retries.
     *
     * @param route the operation
     * @param path the path to send to
     * @param body the JSON body
     * @return the answer's JSON
     */
    public JsonNode resend(Route route, String path, JsonNode body) {
        String safety = Rules.OPERATION_SAFETY.getOrDefault(route.operationId(), "safe");
        return json(route.method(), path, Query.of(), RequestBody.json(Json.write(body)), RetryGuard.NONE, safety);
    }

    /**
     * After close() nothing more can be sent: a background logger stops instead of retrying.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * A call of a route without path parameters; {@code body} null sends none.
     *
     * @param route the operation
     * @param query the query string
     * @param body the JSON body, or null for none
     * @return the answer's JSON (an empty object for an empty answer)
     * @throws io.mlflowrest.errors.MlflowError the typed error once retries are spent
     */
    public JsonNode call(Route route, Query query, JsonNode body) {
        return call(route, Map.of(), query, body, RetryGuard.NONE);
    }

    /**
     * A call of a route whose {name} segments are filled (and percent-encoded) from {@code path}.
     *
     * @param route the operation
     * @param path path parameter name -> value (percent-encoded here)
     * @param query the query string
     * @param body the JSON body, or null for none
     * @return the answer's JSON (an empty object for an empty answer)
     * @throws io.mlflowrest.errors.MlflowError the typed error once retries are spent
     */
    public JsonNode call(Route route, Map<String, String> path, Query query, JsonNode body) {
        return call(route, path, query, body, RetryGuard.NONE);
    }

    /**
     * The one way an operation of the spec is called: the spec's body defaults filled in where
     * the caller gave none, and retried as its family rule says ({@code guard}: how a
     * recover-by-request-id create finds what an unanswered first try made).
     *
     * @param route the operation
     * @param path path parameter name -> value (percent-encoded here)
     * @param query the query string
     * @param body the JSON body, or null for none
     * @param guard finds what an unanswered first try of a create made
     * @return the answer's JSON (an empty object for an empty answer)
     * @throws io.mlflowrest.errors.MlflowError the typed error once retries are spent
     */
    public JsonNode call(Route route, Map<String, String> path, Query query, JsonNode body, RetryGuard guard) {
        Map<String, String> encoded = new LinkedHashMap<>();
        path.forEach((k, v) -> encoded.put(k, v == null ? null : PathSegments.encode(v)));
        if (body instanceof ObjectNode object) {
            Rules.REQUEST_DEFAULTS.getOrDefault(route.operationId(), Map.of()).forEach((field, value) -> {
                if (object.path(field).isMissingNode() || object.path(field).isNull()) {
                    object.set(field, Json.tree(value));
                }
            });
        }
        String safety = Rules.OPERATION_SAFETY.getOrDefault(route.operationId(), "safe");
        Journal j = journal;
        if (j != null && Journal.records(route)) {
            String filled = route.path(encoded);
            return j.write(route, filled, body, () -> json(route.method(), filled, query,
                    body == null ? null : RequestBody.json(Json.write(body)), guard, safety));
        }
        return json(route.method(), route.path(encoded), query, body == null ? null : RequestBody.json(Json.write(body)),
                guard, safety);
    }

    /**
     * A JSON call; {@code body} null sends none. The answer's JSON, or a typed error.
     *
     * @param method the HTTP method
     * @param path the path below the tracking URI
     * @param query the query string
     * @param body the JSON body, or null for none
     * @return the answer's JSON (an empty object for an empty answer)
     * @throws io.mlflowrest.errors.MlflowError the typed error once retries are spent
     */
    public JsonNode json(String method, String path, Query query, JsonNode body) {
        return json(method, path, query, body == null ? null : RequestBody.json(Json.write(body)), RetryGuard.NONE);
    }

    /**
     * A JSON call of a route outside the spec's table; retried as a safe operation.
     *
     * @param method the HTTP method
     * @param path the path below the tracking URI
     * @param query the query string
     * @param body the body, or null for none
     * @param guard finds what an unanswered first try of a create made
     * @return the answer's JSON (an empty object for an empty answer)
     * @throws io.mlflowrest.errors.MlflowError the typed error once retries are spent
     */
    public JsonNode json(String method, String path, Query query, RequestBody body, RetryGuard guard) {
        return json(method, path, query, body, guard, "safe");
    }

    private JsonNode json(String method, String path, Query query, RequestBody body, RetryGuard guard, String safety) {
        Attempted result = send(method, path, query, body, guard, safety);
        if (result.recovered != null) {
            return result.recovered;
        }
        String text;
        try {
            text = result.response.readText();
        } catch (IOException e) {
            throw failure(e, method, path);
        }
        JsonNode json = text.isBlank() ? Json.object() : Json.tryParse(text);
        if (json == null || !json.isObject()) {
            String head = text.length() > 200 ? text.substring(0, 200) : text;
            throw new UnexpectedResponseError("expected JSON, got: " + head.strip(), result.response.status(), null,
                    method, path);
        }
        return json;
    }

    /**
     * A call whose successful answer is streamed (downloads); the caller closes it.
     *
     * @param method the HTTP method
     * @param path the path below the tracking URI
     * @param query the query string
     * @return the open answer
     * @throws io.mlflowrest.errors.MlflowError the typed error once retries are spent
     */
    public RawResponse stream(String method, String path, Query query) {
        return send(method, path, query, null, RetryGuard.NONE, "safe").response;
    }

    /**
     * Sends with the family's retry policy. After an ambiguous failure (no answer once the
     * request may have been read, a 5xx, an overload answer) only a safe operation is resent; a
     * recover-by-request-id one asks its guard first; a never one stops.
     */
    private Attempted send(String method, String path, Query query, RequestBody body, RetryGuard guard,
            String safety) {
        if (closed) {
            throw new MlflowError("this MlflowRestClient is closed (" + method + " " + path + "); create a new client");
        }
        Journal j = journal;
        if (j != null && j.offline()) {
            throw new JournalError("offline (" + j.file().getParent() + "): " + method + " " + path
                    + " needs a server; offline runs are read after `sync`", j.file(), 0, null);
        }
        String target = basePath + path + query.suffix();
        boolean resentOnStale = false;
        boolean ambiguous = false;
        long started = System.nanoTime();
        double waited = 0;  // seconds slept: the budget ends even when a test's sleeper does not sleep
        for (int attempt = 0; ; attempt++) {
            if (ambiguous) {
                Optional<JsonNode> earlier = guard.answerOfEarlierTry();
                if (earlier.isPresent()) {
                    return new Attempted(null, earlier.get());
                }
            }
            RawResponse response;
            try {
                response = http.send(method, target, headers, body);
            } catch (IOException e) {
                boolean mayHaveLanded = !(e instanceof ConnectException);
                if (e instanceof StaleConnectionException && !resentOnStale) {
                    // an idle connection the server had closed: resend at once, not counted as a retry
                    resentOnStale = true;
                    ambiguous = true;
                    attempt--;
                    continue;
                }
                MlflowError error = failure(e, method, path);
                ambiguous |= mayHaveLanded;
                if (attempt >= retry.maxRetries() || !mayResend(ambiguous, safety, guard)) {
                    throw error;
                }
                waited += pause(attempt, null, method, path, e.toString());
                continue;
            }
            int status = response.status();
            if (status < Rules.ERROR_FROM_STATUS) {
                return new Attempted(response, null);
            }
            String text = readQuietly(response);
            ApiError error = ErrorMapper.map(status, text, response.header("location"), method, path);
            if (!RetryPolicy.isRetried(error)) {
                throw error;
            }
            Rules.Overload signature = RetryPolicy.overloadSignature(error);
            if (signature != null) {
                writeLimit.overloaded();
            }
            // The server itself says it is busy: retried past maxRetries up to overloadTimeout.
            boolean busy = signature != null && signature.outlastsMaxRetries();
            ambiguous |= !Rules.UNAMBIGUOUS_STATUSES.contains(status);
            double spent = Math.max((System.nanoTime() - started) / 1e9, waited);
            if (retry.outOfRetries(attempt, busy, spent) || !mayResend(ambiguous, safety, guard)) {
                throw error;
            }
            waited += pause(attempt, response.header("retry-after"), method, path, "HTTP " + status);
        }
    }

    private static boolean mayResend(boolean ambiguous, String safety, RetryGuard guard) {
        return !ambiguous || safety.equals("safe") || safety.equals("recover-by-request-id") && guard != RetryGuard.NONE;
    }

    /** Waits before retry {@code attempt}; returns the seconds waited. */
    private double pause(int attempt, String retryAfter, String method, String path, String why) {
        var delay = retry.delay(attempt, retryAfter);
        LOG.log(System.Logger.Level.DEBUG, "retry {0} of {1} {2} in {3} ms after {4}", attempt + 1, method, path,
                delay.toMillis(), why);
        try {
            sleeper.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportError("interrupted while waiting to retry", method, path, e);
        }
        return delay.toNanos() / 1e9;
    }

    private MlflowError failure(IOException e, String method, String path) {
        if (e instanceof SocketTimeoutException) {
            return new RequestTimeoutError("request to " + hostPort + " timed out: " + e.getMessage(), method, path, e);
        }
        return new TransportError("no answer from " + hostPort + ": " + e, method, path, e);
    }

    private static String readQuietly(RawResponse response) {
        try {
            return response.readText();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        closed = true;
        http.close();
    }

    private record Attempted(RawResponse response, JsonNode recovered) {}
}
