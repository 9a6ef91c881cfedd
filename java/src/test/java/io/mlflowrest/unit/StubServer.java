package io.mlflowrest.unit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mlflowrest.ClientConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A scripted HTTP server on 127.0.0.1 for unit tests: answers come from a queue (then from a
 * default), every request is recorded.
 */
final class StubServer implements AutoCloseable {
    record Request(String method, String uri, Map<String, List<String>> headers, String body) {
        String header(String name) {
            List<String> v = headers.get(name.substring(0, 1).toUpperCase() + name.substring(1).toLowerCase());
            return v == null ? null : v.get(0);
        }
    }

    /** An answer; {@code drop} closes the connection without answering (a lost response). */
    record Answer(int status, String contentType, String body, Map<String, String> headers, boolean drop) {
        static Answer json(int status, String body) {
            return new Answer(status, "application/json", body, Map.of(), false);
        }

        static Answer text(int status, String contentType, String body) {
            return new Answer(status, contentType, body, Map.of(), false);
        }

        static Answer dropped() {
            return new Answer(0, null, null, Map.of(), true);
        }

        Answer withHeader(String name, String value) {
            return new Answer(status, contentType, body, Map.of(name, value), drop);
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Function<Request, Answer>> script = new ArrayDeque<>();
    private Function<Request, Answer> fallback = r -> Answer.json(200, "{}");
    private final HttpServer server;

    StubServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    StubServer then(Answer answer) {
        return then(r -> answer);
    }

    synchronized StubServer then(Function<Request, Answer> answer) {
        script.addLast(answer);
        return this;
    }

    synchronized StubServer otherwise(Function<Request, Answer> answer) {
        fallback = answer;
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** No sleeping between retries, and short timeouts. */
    ClientConfig.Builder config() {
        return ClientConfig.builder().trackingUri(url()).backoffFactorSeconds(0).backoffJitterSeconds(0)
                .maxRetries(3).timeout(Duration.ofSeconds(5));
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                Map.copyOf(exchange.getRequestHeaders()), body);
        requests.add(request);
        Function<Request, Answer> next;
        synchronized (this) {
            next = script.isEmpty() ? fallback : script.pollFirst();
        }
        Answer answer = next.apply(request);
        if (answer.drop()) {
            throw new IOException("stub drops the answer");
        }
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", answer.contentType());
        answer.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
