package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.internal.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.RunTag;

/** Bad input writes nothing: logBatch checks the whole call before its first request (issue 15). */
class WholeBatchTest {
    private static final String RUN_ID = "0123456789abcdef0123456789abcdef";

    private static List<Metric> points(int count, int badAt) {
        List<Metric> metrics = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            metrics.add(Metric.newBuilder().setKey(i == badAt ? "bad key!" : "m" + i).setValue(i).setTimestamp(1)
                    .setStep(i).build());
        }
        return metrics;
    }

    @Test
    void aBadKeyPastTheFirstRequestSendsNothingAndNamesTheCallersIndex() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch(RUN_ID, points(1500, 1200), List.of(), List.of()));
            assertEquals("metrics[1200].key", e.field());
            assertEquals(0, stub.requests.size(), "nothing may be sent");
        }
    }

    @Test
    void paramsAndTagsAreNamedByTheirIndexToo() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            List<Param> params = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                params.add(Param.newBuilder().setKey(i == 150 ? "../up" : "p" + i).setValue("1").build());
            }
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch(RUN_ID, List.of(), params, List.of()));
            assertEquals("params[150].key", e.field());
            List<RunTag> tags = List.of(RunTag.newBuilder().setKey("t").setValue("v").build(),
                    RunTag.newBuilder().setKey("t2").setValue("x".repeat(8001)).build());
            e = assertThrows(InvalidParameterValueError.class, () -> client.runs().logBatch(RUN_ID, List.of(), List.of(), tags));
            assertEquals("tags[1].value", e.field());
            assertEquals(0, stub.requests.size(), "nothing may be sent");
        }
    }

    @Test
    void aParamGivenTwiceWithTwoValuesIsRefusedBeforeSending() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            List<Param> params = List.of(Param.newBuilder().setKey("lr").setValue("0.1").build(),
                    Param.newBuilder().setKey("lr").setValue("0.2").build());
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch(RUN_ID, List.of(), params, List.of()));
            assertEquals("params[1].value", e.field());
            assertEquals(0, stub.requests.size());
        }
    }

    @Test
    void rawOperationsRefuseIntegersOutsideInt64NamingWhere() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            JsonNode args = Json.mapper().readTree("{\"run_id\":\"" + RUN_ID + "\",\"metrics\":[{\"key\":\"a\",\"value\":1,"
                    + "\"timestamp\":1,\"step\":0},{\"key\":\"a\",\"value\":1,\"timestamp\":1,\"step\":9223372036854775813}]}");
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.operations().call("logBatch", args));
            assertEquals("metrics[1].step", e.field());
            JsonNode under = Json.mapper().readTree("{\"run_id\":\"" + RUN_ID + "\",\"key\":\"a\",\"value\":1,"
                    + "\"timestamp\":-9223372036854775809,\"step\":0}");
            e = assertThrows(InvalidParameterValueError.class, () -> client.operations().call("logMetric", under));
            assertEquals("timestamp", e.field());
            assertEquals(0, stub.requests.size(), "nothing may be sent");
        }
    }

    @Test
    void aServerRefusalOfALaterRequestNamesTheCallersIndex() throws Exception {
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        try (StubServer stub = new StubServer().otherwise(r -> seen.incrementAndGet() == 2
                ? StubServer.Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\","
                        + "\"message\":\"Invalid value -1 for parameter 'metrics[3].timestamp' supplied\"}")
                : StubServer.Answer.json(200, "{}"));
             MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logBatch(RUN_ID, points(2500, -1), List.of(), List.of(), 1));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'metrics[1003].timestamp'"), e.getMessage());
            assertEquals(400, e.httpStatus());
        }
    }
}
