package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.internal.Validation;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The checks the typed resources make before sending, applied by operationId to the JSON
 * arguments of the raw and generated layers too, so bad input gets the same typed error (field
 * and limit named, nothing sent) whichever public entry point it comes through.
 */
final class OperationChecks {
    private OperationChecks() {}

    private static String text(JsonNode args, String name) {
        JsonNode v = args.get(name);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static final Map<String, Consumer<JsonNode>> CHECKS = Map.ofEntries(
            Map.entry("createExperiment", a -> Validation.experimentName(text(a, "name"))),
            Map.entry("updateExperiment", a -> {
                Validation.experimentId(text(a, "experiment_id"));
                Validation.experimentName(text(a, "new_name"));
            }),
            Map.entry("setExperimentTag", a -> {
                Validation.experimentId(text(a, "experiment_id"));
                Validation.experimentTag(text(a, "key"), text(a, "value"));
            }),
            Map.entry("createRun", a -> Validation.experimentId(text(a, "experiment_id"))),
            Map.entry("logMetric", a -> {
                Validation.runId(text(a, "run_id"));
                Validation.key("key", text(a, "key"));
            }),
            Map.entry("logParam", a -> {
                Validation.runId(text(a, "run_id"));
                Validation.key("key", text(a, "key"));
                Validation.paramValue(text(a, "value"));
            }),
            Map.entry("setTag", a -> {
                Validation.runId(text(a, "run_id"));
                Validation.runTag(text(a, "key"), text(a, "value"));
            }),
            Map.entry("logBatch", a -> {
                Validation.runId(text(a, "run_id"));
                int i = 0;
                for (JsonNode m : a.path("metrics")) {
                    Validation.key("metrics[" + i++ + "].key", text(m, "key"));
                }
                i = 0;
                for (JsonNode p : a.path("params")) {
                    Validation.key("params[" + i + "].key", text(p, "key"));
                    Validation.paramValue("params[" + i++ + "].value", text(p, "value"));
                }
                i = 0;
                for (JsonNode t : a.path("tags")) {
                    Validation.runTag("tags[" + i++ + "].", text(t, "key"), text(t, "value"));
                }
            }),
            Map.entry("setRegisteredModelTag", a -> Validation.registryTag(text(a, "key"), text(a, "value"))),
            Map.entry("setModelVersionTag", a -> Validation.registryTag(text(a, "key"), text(a, "value"))),
            Map.entry("setRegisteredModelAlias", a -> Validation.alias(text(a, "alias"))));

    /** Throws the typed error of the first check the arguments fail; operations without checks pass. */
    static void check(String operationId, JsonNode args) {
        Consumer<JsonNode> check = CHECKS.get(operationId);
        if (check != null) {
            check.accept(args);
        }
    }
}
