package io.mlflowrest.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.internal.Json;

/** The answers made here for writes the server has not seen (offline, or kept while it is away). */
final class Answers {
    private Answers() {}

    static JsonNode made(String operation, JsonNode body, String localId) {
        switch (operation) {
            case "createRun": {
                ObjectNode run = Json.object();
                ObjectNode info = run.putObject("run").putObject("info");
                info.put("run_id", localId).put("run_uuid", localId)
                        .put("experiment_id", body.path("experiment_id").asText())
                        .put("run_name", body.path("run_name").asText("")).put("status", "RUNNING")
                        .put("start_time", body.path("start_time").asLong(System.currentTimeMillis()))
                        .put("lifecycle_stage", "active").put("artifact_uri", "");
                ((ObjectNode) run.get("run")).putObject("data").set("tags", body.path("tags").deepCopy());
                return run;
            }
            case "createExperiment":
                return Json.object().put("experiment_id", localId);
            case "updateRun": {
                ObjectNode answer = Json.object();
                ObjectNode info = answer.putObject("run_info");
                String id = body.path("run_id").asText(body.path("run_uuid").asText());
                info.put("run_id", id).put("run_uuid", id).put("lifecycle_stage", "active");
                if (body.hasNonNull("status")) {
                    info.put("status", body.path("status").asText());
                }
                if (body.hasNonNull("end_time")) {
                    info.put("end_time", body.path("end_time").asLong());
                }
                return answer;
            }
            default:
                return Json.object();
        }
    }
}
