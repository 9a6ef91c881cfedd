package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.ActiveRun;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.internal.Json;
import io.mlflowrest.unit.StubServer.Answer;
import io.mlflowrest.unit.StubServer.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.RunTag;

/** logBatch's metric-only requests in flight at once (batchConcurrency), and the background logger's. */
class ConcurrentBatchTest {
    private static final String RUN = "{\"run\":{\"info\":{\"run_id\":\"r1\",\"experiment_id\":\"1\"}}}";

    /**
     * Answers log-batch requests after the first {@code together} of them have all arrived (or
     * {@code wait} passed), then after {@code hold}, counting how many were in the server at once.
     */
    static final class Gate implements Function<Request, Answer> {
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();
        final CountDownLatch together;
        final Duration wait;
        final Duration hold;
        volatile boolean met;

        Gate(int together, Duration wait, Duration hold) {
            this.together = new CountDownLatch(together);
            this.wait = wait;
            this.hold = hold;
        }

        @Override
        public Answer apply(Request r) {
            if (!r.uri().endsWith("log-batch")) {
                return Answer.json(200, r.uri().endsWith("runs/create") ? RUN : "{}");
            }
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                together.countDown();
                met |= together.await(wait.toMillis(), TimeUnit.MILLISECONDS);
                Thread.sleep(hold.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inside.decrementAndGet();
            }
            return Answer.json(200, "{}");
        }
    }

    static List<Metric> metrics(int n) {
        return IntStream.range(0, n).mapToObj(i -> Metric.newBuilder().setKey("m" + (i % 3)).setValue(i)
                .setTimestamp(1000).setStep(i).build()).toList();
    }

    static List<JsonNode> batches(StubServer stub) {
        List<JsonNode> bodies = new ArrayList<>();
        stub.requests.stream().filter(r -> r.uri().endsWith("log-batch")).forEach(r -> bodies.add(Json.tryParse(r.body())));
        return bodies;
    }

    static Set<Long> steps(List<JsonNode> bodies) {
        Set<Long> steps = new HashSet<>();
        bodies.forEach(b -> b.path("metrics").forEach(m -> assertTrue(steps.add(m.path("step").asLong()), "sent twice")));
        return steps;
    }

    @Test
    void twoMetricRequestsAreInFlightAtOnceByDefaultAndNeverMore() throws Exception {
        Gate gate = new Gate(2, Duration.ofSeconds(5), Duration.ofMillis(20));
        try (StubServer stub = new StubServer().otherwise(gate);
             MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals(10, client.runs().logBatch("r1", metrics(10_000), List.of(), List.of()));
            assertTrue(gate.met, "two log-batch requests were in the server together");
            assertEquals(2, gate.most.get());
            assertEquals(10_000, steps(batches(stub)).size());
        }
    }

    @Test
    void theCapIsTheConfiguredNumber() throws Exception {
        Gate gate = new Gate(3, Duration.ofSeconds(5), Duration.ofMillis(20));
        try (StubServer stub = new StubServer().otherwise(gate);
             MlflowRestClient client = MlflowRestClient.create(stub.config().batchConcurrency(3).build())) {
            client.runs().logBatch("r1", metrics(12_000), List.of(), List.of());
            assertTrue(gate.met);
            assertEquals(3, gate.most.get());
            assertEquals(12_000, steps(batches(stub)).size());
        }
    }

    @Test
    void oneInFlightSendsStrictlyInOrder() throws Exception {
        // Each request waits 50 ms for a second one; with one in flight none ever comes.
        Gate gate = new Gate(2, Duration.ofMillis(50), Duration.ZERO);
        try (StubServer stub = new StubServer().otherwise(gate);
             MlflowRestClient client = MlflowRestClient.create(stub.config().batchConcurrency(1).build())) {
            client.runs().logBatch("r1", metrics(5_000), List.of(), List.of());
            assertEquals(1, gate.most.get());
            List<JsonNode> bodies = batches(stub);
            assertEquals(5, bodies.size());
            for (int i = 0; i < bodies.size(); i++) {
                assertEquals(i * 1000L, bodies.get(i).path("metrics").get(0).path("step").asLong(), "request " + i);
            }
        }
        // The per-call argument does the same, whatever the client's setting.
        Gate again = new Gate(2, Duration.ofMillis(50), Duration.ZERO);
        try (StubServer stub = new StubServer().otherwise(again);
             MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            client.runs().logBatch("r1", metrics(3_000), List.of(), List.of(), 1);
            assertEquals(1, again.most.get());
        }
    }

    @Test
    void paramsAndTagsGoFirstInOrderOneAtATime() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<Integer> orderedInFlight = new ArrayList<>();
        try (StubServer stub = new StubServer().otherwise(r -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            JsonNode body = Json.tryParse(r.body());
            try {
                if (body.path("params").size() + body.path("tags").size() > 0) {
                    synchronized (orderedInFlight) {
                        orderedInFlight.add(inside.get());
                    }
                    Thread.sleep(100); // slow: a metric-only request sent too early would overtake it
                } else {
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inside.decrementAndGet();
            }
            return Answer.json(200, "{}");
        }); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            List<Param> params = IntStream.range(0, 250).mapToObj(i -> Param.newBuilder().setKey("p" + i)
                    .setValue("v").build()).toList();
            // The same tag key again and again: the last value must be the last one sent.
            List<RunTag> tags = IntStream.range(0, 150).mapToObj(i -> RunTag.newBuilder().setKey("t" + (i % 7))
                    .setValue("v" + i).build()).toList();
            client.runs().logBatch("r1", metrics(6_000), params, tags);

            List<JsonNode> bodies = batches(stub);
            int lastOrdered = -1;
            int firstMetricOnly = Integer.MAX_VALUE;
            List<String> paramOrder = new ArrayList<>();
            List<String> tagOrder = new ArrayList<>();
            for (int i = 0; i < bodies.size(); i++) {
                JsonNode b = bodies.get(i);
                if (b.path("params").size() + b.path("tags").size() > 0) {
                    lastOrdered = i;
                    b.path("params").forEach(p -> paramOrder.add(p.path("key").asText()));
                    b.path("tags").forEach(t -> tagOrder.add(t.path("value").asText()));
                } else {
                    firstMetricOnly = Math.min(firstMetricOnly, i);
                }
            }
            assertTrue(lastOrdered < firstMetricOnly, "params/tags requests all came before metric-only ones");
            assertTrue(orderedInFlight.stream().allMatch(n -> n == 1), "each params/tags request was alone: " + orderedInFlight);
            assertEquals(params.stream().map(Param::getKey).toList(), paramOrder);
            assertEquals(tags.stream().map(RunTag::getValue).toList(), tagOrder);
            assertEquals(6_000, steps(bodies).size());
            assertEquals(2, most.get(), "the metric-only requests after them went two at a time");
        }
    }

    private static Answer failStep(Request r, long step) {
        return r.body().contains("\"step\":" + step + "}")
                ? Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"no\"}")
                : Answer.json(200, "{}");
    }

    @Test
    void aFailedRequestIsThrownTypedWithWhatWasStoredAndNothingDropped() throws Exception {
        for (int inFlight : new int[] {1, 2, 3}) {
            AtomicInteger ok = new AtomicInteger();
            try (StubServer stub = new StubServer().otherwise(r -> {
                Answer a = failStep(r, 3000);
                if (a.status() == 200) {
                    ok.incrementAndGet();
                }
                return a;
            }); MlflowRestClient client = MlflowRestClient.create(stub.config().batchConcurrency(inFlight).build())) {
                InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                        () -> client.runs().logBatch("r1", metrics(20_000), List.of(), List.of()));
                long stored = ok.get() * 1000L;
                assertTrue(e.getMessage().startsWith("400 INVALID_PARAMETER_VALUE: no"), e.getMessage());
                assertTrue(e.getMessage().contains("logBatch stored " + stored + " of 20000 metric points ("
                        + (20_000 - stored) + " not stored)"), e.getMessage());
                assertEquals(400, e.httpStatus());
                // Requests already on their way when the failure was answered may still arrive (how
                // many depends on scheduling), but once the client has the failure it starts no
                // more: far fewer than the 20 chunks reach the server.
                if (inFlight == 1) {
                    assertEquals(4, stub.requests.size(), "sequential: the three before it, then the failure");
                }
                assertTrue(stub.requests.size() < 20, stub.requests.size() + " requests: the rest were not sent");
                assertEquals(stub.requests.size() - 1, ok.get(), "every request but the failed one was answered and counted");
            }
        }
    }

    @Test
    void aFailedParamsRequestStopsEverythingAfterIt() throws Exception {
        try (StubServer stub = new StubServer().then(Answer.json(400,
                "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"bad param\"}"));
             MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            List<Param> params = IntStream.range(0, 150).mapToObj(i -> Param.newBuilder().setKey("p" + i)
                    .setValue("v").build()).toList();
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch("r1", metrics(3_000), params, List.of()));
            assertEquals(1, stub.requests.size(), "no metric sent before the params");
            assertTrue(e.getMessage().contains("logBatch stored 0 of 3000 metric points (3000 not stored), "
                    + "0 of 150 params (150 not stored)"), e.getMessage());
        }
    }

    @Test
    void aSingleRequestFailureKeepsItsPlainMessage() throws Exception {
        try (StubServer stub = new StubServer().then(Answer.json(400,
                "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"no\"}"));
             MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch("r1", metrics(10), List.of(), List.of()));
            assertEquals("400 INVALID_PARAMETER_VALUE: no (POST /api/2.0/mlflow/runs/log-batch)", e.getMessage());
        }
    }

    @Test
    void badInputPastTheFirstRequestsIsFoundBeforeAnyIsSent() throws Exception {
        try (StubServer stub = new StubServer();
             MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            List<Metric> metrics = new ArrayList<>(metrics(4_500));
            metrics.add(Metric.newBuilder().setKey("bad key!").setValue(1).setTimestamp(1).setStep(1).build());
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch("r1", metrics, List.of(), List.of()));
            assertEquals(0, stub.requests.size(), "bad input writes nothing");
            assertEquals("metrics[4500].key", e.field());
        }
    }

    @Test
    void batchConcurrencyIsConfigurableAndChecked() {
        assertEquals(2, ClientConfig.builder().trackingUri("http://h").build().batchConcurrency());
        assertEquals(1, ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "http://h",
                "MLFLOWREST_BATCH_CONCURRENCY", "1"), Path.of("/nonexistent")).batchConcurrency());
        assertThrows(InvalidParameterValueError.class,
                () -> ClientConfig.builder().trackingUri("http://h").batchConcurrency(0).build());
        try (MlflowRestClient client = MlflowRestClient.create(ClientConfig.builder().trackingUri("http://h").build())) {
            assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch("r1", metrics(1), List.of(), List.of(), 0));
        }
    }

    @Test
    void backgroundLoggerSendsTwoBatchesAtOnceWhenMoreAreQueued() throws Exception {
        // The first 1000 points go alone as soon as they are queued (the gate lets it through
        // after 2 s, within the request timeout); the 4000 queued meanwhile go two at once.
        Gate gate = new Gate(2, Duration.ofSeconds(2), Duration.ofMillis(10));
        try (StubServer stub = new StubServer().otherwise(gate);
             MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            try (ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofHours(1)))) {
                for (int i = 0; i < 5_000; i++) {
                    run.logMetric("loss", i, i);
                }
            }
            assertTrue(gate.met);
            assertEquals(2, gate.most.get());
            assertEquals(5_000, steps(batches(stub)).size());
            assertEquals("/api/2.0/mlflow/runs/update", stub.requests.get(stub.requests.size() - 1).uri(),
                    "the run ended after every batch was answered");
        }
    }

    @Test
    void backgroundLoggerKeepsAndResendsPointsOfAFailedConcurrentSend() throws Exception {
        AtomicInteger batchesSeen = new AtomicInteger();
        Set<Long> stored = ConcurrentHashMap.newKeySet();
        try (StubServer stub = new StubServer().otherwise(r -> {
            if (!r.uri().endsWith("log-batch")) {
                return Answer.json(200, r.uri().endsWith("runs/create") ? RUN : "{}");
            }
            // The second request of the first flush gets no useful answer; its points must come again.
            if (batchesSeen.incrementAndGet() == 2) {
                return Answer.json(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"not now\"}");
            }
            Json.tryParse(r.body()).path("metrics").forEach(m -> stored.add(m.path("step").asLong()));
            return Answer.json(200, "{}");
        }); MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(0).build())) {
            try (ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofHours(1)))) {
                for (int i = 0; i < 4_000; i++) {
                    run.logMetric("loss", i, i);
                }
                run.flush(Duration.ofSeconds(30)); // waits through the failed send and its resend
                assertEquals(4_000, stored.size(), "every point reached a successful request");
                assertTrue(batchesSeen.get() >= 5, "the failed batch went again: " + batchesSeen.get());
            }
        }
    }
}
