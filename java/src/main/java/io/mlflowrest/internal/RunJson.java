package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunData;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunInputs;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow_project.google.protobuf.Message;

/**
 * Runs and run infos (what creating, getting and ending a run answer) read straight into the
 * official client's builders. The shaded JsonFormat first builds the descriptors of all of
 * service.proto and its imports (~440 classes, about a quarter of a second of a JVM's first
 * metric); the builders' setters need none of that. Anything this reader does not know (a field,
 * a non-empty run input, an enum name, a value of another JSON type) makes it answer null, and
 * the caller parses the whole message with JsonFormat, so both give the same message.
 */
final class RunJson {
    private RunJson() {}

    /**
     * The message, or null when {@code json} holds anything this reader leaves to JsonFormat.
     *
     * @param json a run or run info as the server wrote it
     * @param builder a fresh builder saying which message is wanted
     * @return the built message, or null
     */
    static Message read(JsonNode json, Message.Builder builder) {
        if (!json.isObject()) {
            return null;
        }
        try {
            if (builder instanceof Run.Builder) {
                return run(json);
            }
            if (builder instanceof RunInfo.Builder) {
                return info(json);
            }
        } catch (Unknown e) {
            return null;
        }
        return null;
    }

    private static Run run(JsonNode json) {
        Run.Builder b = Run.newBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue; // JsonFormat: null is the field's default
            }
            switch (f.getKey()) {
                case "info" -> b.setInfo(info(object(v)));
                case "data" -> b.setData(data(object(v)));
                case "inputs" -> {
                    if (object(v).size() > 0) {
                        throw Unknown.INSTANCE; // datasets and model inputs: JsonFormat's job
                    }
                    b.setInputs(RunInputs.getDefaultInstance());
                }
                default -> throw Unknown.INSTANCE;
            }
        }
        return b.build();
    }

    private static RunInfo info(JsonNode json) {
        RunInfo.Builder b = RunInfo.newBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = object(json).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue;
            }
            switch (f.getKey()) {
                case "run_id" -> b.setRunId(text(v));
                case "run_uuid" -> b.setRunUuid(text(v));
                case "run_name" -> b.setRunName(text(v));
                case "experiment_id" -> b.setExperimentId(text(v));
                case "user_id" -> b.setUserId(text(v));
                case "status" -> b.setStatus(status(v));
                case "start_time" -> b.setStartTime(int64(v));
                case "end_time" -> b.setEndTime(int64(v));
                case "artifact_uri" -> b.setArtifactUri(text(v));
                case "lifecycle_stage" -> b.setLifecycleStage(text(v));
                default -> throw Unknown.INSTANCE;
            }
        }
        return b.build();
    }

    private static RunData data(JsonNode json) {
        RunData.Builder b = RunData.newBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue;
            }
            if (!v.isArray()) {
                throw Unknown.INSTANCE;
            }
            switch (f.getKey()) {
                case "metrics" -> v.forEach(m -> b.addMetrics(metric(object(m))));
                case "params" -> v.forEach(p -> {
                    Param.Builder param = Param.newBuilder();
                    keyValue(p, param::setKey, param::setValue);
                    b.addParams(param.build());
                });
                case "tags" -> v.forEach(t -> {
                    RunTag.Builder tag = RunTag.newBuilder();
                    keyValue(t, tag::setKey, tag::setValue);
                    b.addTags(tag.build());
                });
                default -> throw Unknown.INSTANCE;
            }
        }
        return b.build();
    }

    private static Metric metric(JsonNode json) {
        Metric.Builder b = Metric.newBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue;
            }
            switch (f.getKey()) {
                case "key" -> b.setKey(text(v));
                case "value" -> b.setValue(dbl(v));
                case "timestamp" -> b.setTimestamp(int64(v));
                case "step" -> b.setStep(int64(v));
                default -> throw Unknown.INSTANCE;
            }
        }
        return b.build();
    }

    /** A param's or tag's fields; proto2 fields have presence, so only those present are set. */
    private static void keyValue(JsonNode entity, Consumer<String> key, Consumer<String> value) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object(entity).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue;
            }
            switch (f.getKey()) {
                case "key" -> key.accept(text(v));
                case "value" -> value.accept(text(v));
                default -> throw Unknown.INSTANCE;
            }
        }
    }

    private static JsonNode object(JsonNode v) {
        if (!v.isObject()) {
            throw Unknown.INSTANCE;
        }
        return v;
    }

    private static String text(JsonNode v) {
        if (!v.isTextual()) {
            throw Unknown.INSTANCE;
        }
        return v.textValue();
    }

    /** proto3 JSON writes int64 as a number or a decimal string. */
    private static long int64(JsonNode v) {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        if (v.isTextual() && v.textValue().matches("-?[0-9]{1,19}")) {
            try {
                return Long.parseLong(v.textValue());
            } catch (NumberFormatException e) {
                throw Unknown.INSTANCE;
            }
        }
        throw Unknown.INSTANCE;
    }

    /** A number, or the strings proto3 JSON uses for the values JSON has no number for. */
    private static double dbl(JsonNode v) {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        return switch (v.isTextual() ? v.textValue() : "") {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw Unknown.INSTANCE;
        };
    }

    private static RunStatus status(JsonNode v) {
        return switch (text(v)) {
            case "RUNNING" -> RunStatus.RUNNING;
            case "SCHEDULED" -> RunStatus.SCHEDULED;
            case "FINISHED" -> RunStatus.FINISHED;
            case "FAILED" -> RunStatus.FAILED;
            case "KILLED" -> RunStatus.KILLED;
            default -> throw Unknown.INSTANCE;
        };
    }

    /** Something to leave to JsonFormat; thrown without a stack trace, it costs nothing. */
    private static final class Unknown extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final Unknown INSTANCE = new Unknown();

        private Unknown() {
            super("left to JsonFormat", null, false, false);
        }
    }
}
