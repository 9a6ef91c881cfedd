package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.generated.Limits;
import io.mlflowrest.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.RunTag;

class ChunkingTest {
    private static List<JsonNode> send(List<Metric> metrics, List<Param> params, List<RunTag> tags) throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            int requests = client.runs().logBatch("run1", metrics, params, tags);
            assertEquals(requests, stub.requests.size());
            List<JsonNode> bodies = new ArrayList<>();
            for (StubServer.Request r : stub.requests) {
                assertEquals("/api/2.0/mlflow/runs/log-batch", r.uri());
                assertTrue(r.body().getBytes(StandardCharsets.UTF_8).length <= Limits.MAX_BATCH_REQUEST_BYTES,
                        "body of " + r.body().length() + " bytes");
                bodies.add(Json.tryParse(r.body()));
            }
            return bodies;
        }
    }

    private static void assertWithinLimits(JsonNode body) {
        int m = body.path("metrics").size();
        int p = body.path("params").size();
        int t = body.path("tags").size();
        assertTrue(m <= Limits.MAX_METRICS_PER_BATCH, m + " metrics");
        assertTrue(p <= Limits.MAX_PARAMS_TAGS_PER_BATCH, p + " params");
        assertTrue(t <= Limits.MAX_PARAMS_TAGS_PER_BATCH, t + " tags");
        assertTrue(m + p + t <= Limits.MAX_ENTITIES_PER_BATCH, (m + p + t) + " entities");
        Set<String> keys = new HashSet<>();
        body.path("params").forEach(x -> assertTrue(keys.add(x.path("key").asText()), "param repeated in one request"));
    }

    @Test
    void splitsLargeInputsIntoRequestsWithinEveryLimitAndLosesNothing() throws Exception {
        List<Metric> metrics = IntStream.range(0, 2500).mapToObj(i -> Metric.newBuilder().setKey("m")
                .setValue(i).setTimestamp(1000 + i).setStep(i).build()).toList();
        List<Param> params = IntStream.range(0, 250).mapToObj(i -> Param.newBuilder().setKey("p" + i)
                .setValue("v").build()).toList();
        List<RunTag> tags = IntStream.range(0, 150).mapToObj(i -> RunTag.newBuilder().setKey("t" + i)
                .setValue("v").build()).toList();
        List<JsonNode> bodies = send(metrics, params, tags);
        bodies.forEach(ChunkingTest::assertWithinLimits);
        assertEquals(2500, bodies.stream().mapToInt(b -> b.path("metrics").size()).sum());
        assertEquals(250, bodies.stream().mapToInt(b -> b.path("params").size()).sum());
        assertEquals(150, bodies.stream().mapToInt(b -> b.path("tags").size()).sum());
        Set<Long> steps = new HashSet<>();
        bodies.forEach(b -> b.path("metrics").forEach(m -> steps.add(m.path("step").asLong())));
        assertEquals(2500, steps.size());
        assertEquals(3, bodies.size(), "3000 entities fit in 3 full requests of 1000");
    }

    @Test
    void splitsByBytesWhenValuesAreLong() throws Exception {
        List<Param> params = IntStream.range(0, 100).mapToObj(i -> Param.newBuilder().setKey("p" + i)
                .setValue("x".repeat(Limits.MAX_PARAM_VALUE_LENGTH)).build()).toList();
        List<RunTag> tags = IntStream.range(0, 100).mapToObj(i -> RunTag.newBuilder().setKey("t" + i)
                .setValue("y".repeat(Limits.MAX_TAG_VALUE_LENGTH)).build()).toList();
        List<JsonNode> bodies = send(List.of(), params, tags);
        assertTrue(bodies.size() >= 2, "1.4 MB of values cannot go in one request");
        assertEquals(100, bodies.stream().mapToInt(b -> b.path("params").size()).sum());
        assertEquals(100, bodies.stream().mapToInt(b -> b.path("tags").size()).sum());
    }

    @Test
    void repeatedParamKeysGoToSeparateRequests() throws Exception {
        List<Param> params = List.of(Param.newBuilder().setKey("a").setValue("1").build(),
                Param.newBuilder().setKey("a").setValue("1").build(),
                Param.newBuilder().setKey("b").setValue("2").build());
        List<JsonNode> bodies = send(List.of(), params, List.of());
        bodies.forEach(ChunkingTest::assertWithinLimits);
        assertEquals(2, bodies.size());
        assertEquals(3, bodies.stream().mapToInt(b -> b.path("params").size()).sum());
    }

    @Test
    void nothingToLogSendsNothing() throws Exception {
        assertEquals(0, send(List.of(), List.of(), List.of()).size());
    }

    @Test
    void sizeBoundIsNeverBelowTheWrittenSizeAndExactWithoutFractions() {
        // Batches are cut by Json.sizeBound: under-counting could send a body over the server's limit.
        java.util.Random random = new java.util.Random(7);
        String[] pieces = {"a", "é", "€", "\uD83D\uDE00", "\"", "\\", "\n", "\u0001", "/", " ", "<", "\u2028"};
        for (int round = 0; round < 500; round++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(40); k > 0; k--) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            com.fasterxml.jackson.databind.node.ObjectNode exact = Json.object().put("key", text.toString())
                    .put("timestamp", random.nextLong()).put("step", (long) random.nextInt()).putNull("dropped");
            exact.putArray("list").add(text.toString()).add(random.nextLong()).add(true).addNull();
            long written = Json.write(exact).getBytes(StandardCharsets.UTF_8).length;
            assertEquals(written, Json.sizeBound(exact), Json.write(exact));
            double[] values = {random.nextDouble(), -Double.MAX_VALUE, Double.MIN_VALUE, Double.NaN,
                Double.NEGATIVE_INFINITY, -2.2250738585072014E-308, random.nextGaussian() * 1e300};
            for (double v : values) {
                com.fasterxml.jackson.databind.node.ObjectNode metric = exact.deepCopy().put("value", v);
                long size = Json.write(metric).getBytes(StandardCharsets.UTF_8).length;
                long bound = Json.sizeBound(metric);
                assertTrue(bound >= size && bound <= size + 24, bound + " for " + size + ": " + Json.write(metric));
            }
        }
    }
}
