package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Metric;

/**
 * The adaptive write limit against the live server, behind a fault relay on 127.0.0.1 that
 * answers the first log-batch requests as an overloaded --workers 1 server does (400
 * BAD_REQUEST "QueuePool limit of size 5 overflow 10 reached") and forwards everything else.
 * After those answers the client's threads keep to the lowered limit, and every point is stored.
 */
class OverloadIntegrationTest {
    private static final String POOL_TIMEOUT = "{\"error_code\": \"BAD_REQUEST\", \"message\": \"(sqlalchemy.exc."
            + "TimeoutError) QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00\"}";
    private static final int THREADS = 8;
    private static final int POINTS = 1000; // one request per thread

    /** Forwards to the server; answers the first {@code overloads} log-batch requests itself. */
    static final class Relay implements AutoCloseable {
        final AtomicInteger overloadsLeft;
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();
        private final HttpServer server;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final String upstream;

        Relay(String upstream, int overloads) throws IOException {
            this.upstream = upstream;
            this.overloadsLeft = new AtomicInteger(overloads);
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", this::handle);
            server.setExecutor(Executors.newCachedThreadPool());
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        void reset() {
            most.set(0);
        }

        private void handle(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            boolean batch = exchange.getRequestURI().getPath().endsWith("runs/log-batch");
            int status;
            byte[] answer;
            if (batch && overloadsLeft.getAndDecrement() > 0) {
                status = 400;
                answer = POOL_TIMEOUT.getBytes(StandardCharsets.UTF_8);
            } else {
                if (batch) {
                    most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                }
                try {
                    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(upstream + exchange.getRequestURI()))
                            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                            .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(body));
                    HttpResponse<byte[]> got = http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
                    status = got.statusCode();
                    answer = got.body();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                } finally {
                    if (batch) {
                        inside.decrementAndGet();
                    }
                }
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void afterOverloadAnswersThreadsKeepToTheLoweredLimitAndEveryPointIsStored() throws Exception {
        String live = System.getenv("MLFLOW_TRACKING_URI");
        assumeTrue(live != null, "MLFLOW_TRACKING_URI is not set (run via make test-java)");
        try (MlflowRestClient direct = LiveServer.client(); Relay relay = new Relay(live, 3);
             MlflowRestClient client = MlflowRestClient.create(ClientConfig.builder().trackingUri(relay.url())
                     .maxRetries(5).backoffFactorSeconds(0.05).backoffJitterSeconds(0).build())) {
            String exp = direct.experiments().create(LiveServer.unique("overload"));
            String runId = direct.runs().create(exp).getInfo().getRunId();
            // Three overload answers, retried: the limit goes 8 -> 4 -> 2 -> 1, then 2 once stored.
            client.runs().logBatch(runId, points(-1), List.of(), List.of());
            assertTrue(relay.overloadsLeft.get() <= 0, "the relay's overload answers were met");
            relay.reset();

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    go.await();
                    return client.runs().logBatch(runId, points(thread), List.of(), List.of());
                }));
            }
            go.countDown();
            for (Future<Integer> f : done) {
                assertEquals(1, f.get(120, TimeUnit.SECONDS));
            }
            pool.shutdown();
            // Without the limit the eight threads' requests (the client's ceiling is eight) meet in
            // the server together; with it, one more per limit's worth of stored batches: 2, 2, 3, ...
            assertTrue(relay.most.get() <= 3, "log-batch requests in flight after overload: " + relay.most.get());

            Set<String> stored = new HashSet<>();
            direct.metrics().history(runId, "m").forEach(m -> stored.add(m.getStep() + "@" + m.getTimestamp()));
            assertEquals((THREADS + 1) * POINTS, stored.size(), "every point of every thread stored");
        }
    }

    /** Thread {@code t}'s points: steps apart from every other thread's. */
    private static List<Metric> points(int t) {
        return IntStream.range(0, POINTS).mapToObj(i -> Metric.newBuilder().setKey("m").setValue(i)
                .setTimestamp(1_700_000_000_000L).setStep((t + 1L) * POINTS + i).build()).toList();
    }
}
