package io.mlflowrest.internal.artifacts;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.RequestTimeoutError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.internal.ErrorMapper;
import io.mlflowrest.internal.RetryPolicy;
import io.mlflowrest.internal.Sleeper;
import io.mlflowrest.internal.TlsFactory;
import io.mlflowrest.internal.http.Http11Client;
import io.mlflowrest.internal.http.Origin;
import io.mlflowrest.internal.http.Proxy;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import io.mlflowrest.internal.http.StaleConnectionException;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * HTTP to object stores and signed URLs, beside the tracking {@code Transport}: the same
 * socket client, retry policy and error classes, but any origin, and headers made afresh for
 * every attempt (a signature carries its time). Errors name the URL without its query, where
 * presigned URLs and SAS tokens keep their secrets.
 */
public final class StoreHttp implements Closeable {
    private final Map<String, Http11Client> clients = new ConcurrentHashMap<>();
    private final RetryPolicy retry;
    private final Sleeper sleeper;
    private final int timeoutMs;
    private final boolean insecure;
    private volatile boolean closed;

    /**
     * Storage requests with the client's retry policy and timeout.
     *
     * @param config the client's configuration
     * @param insecure true to skip TLS certificate checks
     */
    public StoreHttp(ClientConfig config, boolean insecure) {
        this(new RetryPolicy(config.maxRetries(), config.backoffFactorSeconds(), config.backoffJitterSeconds()),
                Sleeper.REAL, (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis()), insecure);
    }

    /**
     * @param retry the retry policy
     * @param sleeper sleeps between tries
     * @param timeoutMs connect and read timeout in milliseconds
     * @param insecure true to skip TLS certificate checks
     */
    public StoreHttp(RetryPolicy retry, Sleeper sleeper, int timeoutMs, boolean insecure) {
        this.retry = retry;
        this.sleeper = sleeper;
        this.timeoutMs = timeoutMs;
        this.insecure = insecure;
    }

    /**
     * Sends until a success answer (returned, its body for the caller to read or close) or a
     * final error (thrown as the family's typed error). Connection errors, timeouts, 408, 429
     * and 5xx are retried by the family's policy.
     *
     * @param method the HTTP method
     * @param url the full URL, signed query included
     * @param headers called before each try, so signatures are fresh
     * @param body the body, or null
     * @return the success answer, open
     * @throws io.mlflowrest.errors.MlflowError the typed error once retries are spent
     */
    public RawResponse send(String method, URI url, Supplier<Map<String, String>> headers, RequestBody body) {
        if (closed) {
            throw new MlflowError("the client is closed; create a new MlflowRestClient");
        }
        Http11Client http = client(url);
        String target = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        String shown = redact(url);
        boolean resentOnStale = false;
        for (int attempt = 0; ; attempt++) {
            RawResponse response;
            try {
                response = http.send(method, target, headers.get(), body);
            } catch (IOException e) {
                if (e instanceof StaleConnectionException && !resentOnStale) {
                    resentOnStale = true;
                    attempt--;
                    continue;
                }
                if (attempt >= retry.maxRetries()) {
                    throw e instanceof SocketTimeoutException
                            ? new RequestTimeoutError("storage request timed out: " + e.getMessage(), method, shown, e)
                            : new TransportError("no answer from " + url.getHost() + ":" + port(url) + ": " + e, method, shown, e);
                }
                pause(attempt, null, method, shown);
                continue;
            }
            if (response.status() < 400) {
                return response;
            }
            String text;
            try {
                text = response.readText();
            } catch (IOException e) {
                text = "";
            }
            if (RetryPolicy.isRetriedStatus(response.status()) && attempt < retry.maxRetries()) {
                pause(attempt, response.header("retry-after"), method, shown);
                continue;
            }
            if (response.status() == 404) {
                // the code the proxied store answers for a missing file, so a caller sees one error whatever the store
                throw new ResourceDoesNotExistError(head(text), 404, "RESOURCE_DOES_NOT_EXIST", method, shown);
            }
            throw ErrorMapper.map(response.status(), text, method, shown);
        }
    }

    /**
     * Sends and reads the answer's body as text (XML or JSON of a storage API).
     *
     * @param method the HTTP method
     * @param url the full URL, signed query included
     * @param headers called before each try, so signatures are fresh
     * @param body the body, or null
     * @return the body's text
     */
    public String text(String method, URI url, Supplier<Map<String, String>> headers, RequestBody body) {
        try (RawResponse response = send(method, url, headers, body)) {
            return response.readText();
        } catch (IOException e) {
            throw new TransportError("answer broke off: " + e, method, redact(url), e);
        }
    }

    /**
     * Sends, discards the body and returns the answer's headers (e.g. an upload's ETag).
     *
     * @param method the HTTP method
     * @param url the full URL, signed query included
     * @param headers called before each try, so signatures are fresh
     * @param body the body, or null
     * @return the closed answer, its headers still readable
     */
    public RawResponse discard(String method, URI url, Supplier<Map<String, String>> headers, RequestBody body) {
        RawResponse response = send(method, url, headers, body);
        try {
            response.body().transferTo(java.io.OutputStream.nullOutputStream());
            response.close();
        } catch (IOException e) {
            throw new TransportError("answer broke off: " + e, method, redact(url), e);
        }
        return response;
    }

    private static String head(String text) {
        String t = text == null ? "" : text.strip();
        return t.isEmpty() ? "not found" : t.length() > 200 ? t.substring(0, 200) : t;
    }

    /**
     * The URL as errors may show it: scheme, host, port and path, never the query.
     *
     * @param url the URL
     * @return what may be shown of it
     */
    public static String redact(URI url) {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "")
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    private void pause(int attempt, String retryAfter, String method, String shown) {
        try {
            sleeper.sleep(retry.delay(attempt, retryAfter));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportError("interrupted while waiting to retry", method, shown, e);
        }
    }

    private Http11Client client(URI url) {
        String scheme = url.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new MlflowError("not an http(s) storage URL: " + redact(url));
        }
        return clients.computeIfAbsent(scheme + "://" + url.getHost() + ":" + port(url), k -> {
            boolean https = scheme.equals("https");
            Origin origin = new Origin(url.getHost(), port(url), https ? TlsFactory.forStore(insecure) : null, !insecure);
            Proxy proxy = Proxy.select(scheme, url.getHost(), System.getProperties(), System.getenv());
            return new Http11Client(origin, proxy, url.getPort() <= 0, timeoutMs, timeoutMs);
        });
    }

    private static int port(URI url) {
        return url.getPort() > 0 ? url.getPort() : "https".equals(url.getScheme()) ? 443 : 80;
    }

    @Override
    public void close() {
        closed = true;
        clients.values().forEach(Http11Client::close);
        clients.clear();
    }
}
