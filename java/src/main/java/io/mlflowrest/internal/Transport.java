package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.RequestTimeoutError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.errors.UnexpectedResponseError;
import io.mlflowrest.generated.Route;
import io.mlflowrest.internal.http.Http11Client;
import io.mlflowrest.internal.http.Origin;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import io.mlflowrest.internal.http.StaleConnectionException;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
    private final String basePath;
    private final Map<String, String> headers;
    private final RetryPolicy retry;
    private final Sleeper sleeper;

    public Transport(ClientConfig config) {
        this(config, Sleeper.REAL);
    }

    public Transport(ClientConfig config, Sleeper sleeper) {
        URI uri = config.trackingUri();
        boolean https = uri.getScheme().equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        Origin origin = new Origin(uri.getHost(), port, https ? TlsFactory.create(config) : null, !config.insecureTls());
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis());
        this.http = new Http11Client(origin, uri.getPort() <= 0, timeoutMs, timeoutMs);
        this.basePath = uri.getRawPath() == null ? "" : uri.getRawPath();
        this.retry = new RetryPolicy(config.maxRetries(), config.backoffFactorSeconds(), config.backoffJitterSeconds());
        this.sleeper = sleeper;
        Map<String, String> h = new LinkedHashMap<>();
        h.put("User-Agent", USER_AGENT);
        h.put("Accept", "application/json");
        if (config.token() != null) {
            h.put("Authorization", "Bearer " + config.token());
        } else if (config.username() != null) {
            String pair = config.username() + ":" + config.password();
            h.put("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        }
        this.headers = Map.copyOf(h);
    }

    /** A call of a route without path parameters; {@code body} null sends none. */
    public JsonNode call(Route route, Query query, JsonNode body) {
        return json(route.method(), route.template(), query, body);
    }

    /** A call of a route whose {name} segments are filled (and percent-encoded) from {@code path}. */
    public JsonNode call(Route route, Map<String, String> path, Query query, JsonNode body) {
        Map<String, String> encoded = new LinkedHashMap<>();
        path.forEach((k, v) -> encoded.put(k, v == null ? null : PathSegments.encode(v)));
        return json(route.method(), route.path(encoded), query, body);
    }

    /** A JSON call; {@code body} null sends none. The answer's JSON, or a typed error. */
    public JsonNode json(String method, String path, Query query, JsonNode body) {
        return json(method, path, query, body == null ? null : RequestBody.json(Json.write(body)), RetryGuard.NONE);
    }

    public JsonNode json(String method, String path, Query query, RequestBody body, RetryGuard guard) {
        Attempted result = send(method, path, query, body, guard);
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

    /** A call whose successful answer is streamed (downloads); the caller closes it. */
    public RawResponse stream(String method, String path, Query query) {
        return send(method, path, query, null, RetryGuard.NONE).response;
    }

    private Attempted send(String method, String path, Query query, RequestBody body, RetryGuard guard) {
        String target = basePath + path + query.suffix();
        boolean resentOnStale = false;
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0 || resentOnStale) {
                Optional<JsonNode> earlier = guard.answerOfEarlierTry();
                if (earlier.isPresent()) {
                    return new Attempted(null, earlier.get());
                }
            }
            RawResponse response;
            try {
                response = http.send(method, target, headers, body);
            } catch (IOException e) {
                if (e instanceof StaleConnectionException && !resentOnStale) {
                    // an idle connection the server had closed: resend at once, not counted as a retry
                    resentOnStale = true;
                    attempt--;
                    continue;
                }
                MlflowError error = failure(e, method, path);
                if (attempt >= retry.maxRetries()) {
                    throw error;
                }
                pause(attempt, null, method, path, e.toString());
                continue;
            }
            int status = response.status();
            if (status < 400) {
                return new Attempted(response, null);
            }
            String text = readQuietly(response);
            if (RetryPolicy.isRetriedStatus(status) && attempt < retry.maxRetries()) {
                pause(attempt, response.header("retry-after"), method, path, "HTTP " + status);
                continue;
            }
            throw ErrorMapper.map(status, text, method, path);
        }
    }

    private void pause(int attempt, String retryAfter, String method, String path, String why) {
        var delay = retry.delay(attempt, retryAfter);
        LOG.log(System.Logger.Level.DEBUG, "retry {0} of {1} {2} in {3} ms after {4}", attempt + 1, method, path,
                delay.toMillis(), why);
        try {
            sleeper.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportError("interrupted while waiting to retry", method, path, e);
        }
    }

    private static MlflowError failure(IOException e, String method, String path) {
        if (e instanceof SocketTimeoutException) {
            return new RequestTimeoutError("request timed out: " + e.getMessage(), method, path, e);
        }
        return new TransportError("no answer from the server: " + e, method, path, e);
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
        http.close();
    }

    private record Attempted(RawResponse response, JsonNode recovered) {}
}
