package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlflowrest.internal.Json;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow_project.google.protobuf.util.JsonFormat;

/**
 * The first call's JSON path, which avoids ObjectMapper and protobuf's JsonFormat for start-up's
 * sake (java/README.md, "Start-up"), gives exactly what those give.
 */
class FirstCallJsonTest {
    private static final ObjectMapper DATABIND = new ObjectMapper();

    private static final String CREATED = "{\"info\":{\"run_id\":\"abc\",\"run_uuid\":\"abc\",\"experiment_id\":\"0\","
            + "\"run_name\":\"brave-owl-1\",\"user_id\":\"me\",\"status\":\"RUNNING\",\"start_time\":1700000000000,"
            + "\"artifact_uri\":\"mlflow-artifacts:/0/abc/artifacts\",\"lifecycle_stage\":\"active\"},"
            + "\"data\":{\"tags\":[{\"key\":\"mlflow.runName\",\"value\":\"brave-owl-1\"}]},\"inputs\":{}}";

    private static Run viaJsonFormat(String json) throws Exception {
        Run.Builder b = Run.newBuilder();
        JsonFormat.parser().ignoringUnknownFields().merge(json, b);
        return b.build();
    }

    @Test
    void runsReadDirectlyEqualWhatJsonFormatReads() throws Exception {
        List<String> answers = List.of(
                CREATED,
                // ended, with every kind of data, int64 as strings, NaN and infinities as proto3 JSON writes them
                "{\"info\":{\"run_id\":\"r\",\"status\":\"FINISHED\",\"start_time\":\"1\",\"end_time\":9007199254740993},"
                        + "\"data\":{\"metrics\":[{\"key\":\"m\",\"value\":\"NaN\",\"timestamp\":1,\"step\":-3},"
                        + "{\"key\":\"m\",\"value\":\"-Infinity\",\"timestamp\":\"2\",\"step\":0},{\"key\":\"n\",\"value\":1.5e300}],"
                        + "\"params\":[{\"key\":\"p\",\"value\":\"v\"},{\"key\":\"q\"}],\"tags\":[]}}",
                // left to JsonFormat: a field it ignores, dataset inputs, an enum it may not know, nulls
                "{\"info\":{\"run_id\":\"r\",\"status\":\"RUNNING\",\"new_field\":1}}",
                "{\"info\":{\"run_id\":\"r\"},\"inputs\":{\"dataset_inputs\":[{\"tags\":[],\"dataset\":{\"name\":\"d\","
                        + "\"digest\":\"x\",\"source_type\":\"local\",\"source\":\"{}\"}}]}}",
                "{\"info\":{\"run_id\":\"r\",\"status\":\"PAUSED\",\"run_name\":null}}",
                "{\"info\":null,\"data\":{\"metrics\":[{\"key\":\"m\",\"value\":1,\"model_id\":\"m-1\"}]}}");
        for (String answer : answers) {
            assertEquals(viaJsonFormat(answer), Json.proto(Json.tryParse(answer), Run.newBuilder()), answer);
        }
        String info = DATABIND.readTree(CREATED).path("info").toString();
        RunInfo.Builder b = RunInfo.newBuilder();
        JsonFormat.parser().merge(info, b);
        assertEquals(b.build(), Json.proto(Json.tryParse(info), RunInfo.newBuilder()));
        assertEquals(Run.getDefaultInstance(), Json.proto(Json.tryParse("{}").path("run"), Run.newBuilder()));
    }

    @Test
    void theStreamingReaderAndWriterMatchObjectMapper() throws Exception {
        String text = "{\"a\":1,\"b\":-9223372036854775808,\"c\":18446744073709551616,\"d\":0.1,\"e\":\"x\\u00e9\\n\","
                + "\"f\":[true,false,null,{\"g\":[]}],\"h\":{},\"i\":1e400}";
        JsonNode ours = Json.tryParse(text);
        assertEquals(DATABIND.readTree(text), ours);
        assertEquals(DATABIND.readTree(text).toString(), Json.write(ours).replace(",\"f\":[true,false,null,",
                ",\"f\":[true,false,null,"));
        // Nulls in objects are left out of what is sent; NaN goes as MLflow's string.
        JsonNode body = Json.object().put("run_id", "r").putNull("run_name").put("value", Double.NaN);
        assertEquals("{\"run_id\":\"r\",\"value\":\"NaN\"}", Json.write(body));
        assertEquals(DATABIND.readTree("{\"x\":1} trailing"), Json.tryParse("{\"x\":1} trailing"), "as readTree");
        assertNull(Json.tryParse("<html>oops</html>"));
        assertNull(Json.tryParse("{\"truncated\":"));
        assertNull(Json.tryParse("  "));
    }
}
