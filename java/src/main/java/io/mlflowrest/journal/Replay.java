package io.mlflowrest.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import io.mlflowrest.generated.Routes;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.journal.LocalIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** One record sent again, made idempotent as docs/journal.md says. */
final class Replay {
    private Replay() {}

    /** What the server said: the server id of a bound create, and whether it was there already. */
    record Outcome(String remote, boolean alreadyPresent) {}

    static Outcome call(MlflowRestClient client, ObjectNode record, Map<String, String> binds) {
        ObjectNode body = Sync.copy(record.path("body"));
        LocalIds.replace(body, binds);
        String op = record.path("operation").asText();
        String method = record.path("method").asText();
        String path = record.path("path").asText();
        JsonNode bindsTo = record.path("binds");
        String local = bindsTo.path("local").asText(null);
        if (op.equals("createRun")) {
            // a bound create carries its local id as idempotency key; any other, its request id (recover-by-request-id)
            String found = local != null
                    ? runCarrying(client, body.path("experiment_id").asText(), Rules.IDEMPOTENCY_KEY_TAG, local)
                    : runCarrying(client, body.path("experiment_id").asText(), Rules.REQUEST_ID_TAG,
                            record.path("request_id").asText());
            if (found != null) {
                return new Outcome(found, true);
            }
            JsonNode answer = send(client, method, path, body);
            return new Outcome(answer.path("run").path("info").path("run_id").asText(), false);
        }
        if (op.equals("createExperiment")) {
            try {
                return new Outcome(send(client, method, path, body).path("experiment_id").asText(), false);
            } catch (ResourceAlreadyExistsError exists) {
                return new Outcome(client.experiments().getByName(body.path("name").asText()).getExperimentId(), true);
            }
        }
        JsonNode answer = send(client, method, path, body);
        if (local != null) { // another bound create: the field names where the answer holds the id
            JsonNode id = answer;
            for (String part : bindsTo.path("field").asText().split("\\.")) {
                id = id.path(part);
            }
            return new Outcome(id.asText(), false);
        }
        return new Outcome(null, false);
    }

    private static JsonNode send(MlflowRestClient client, String method, String path, ObjectNode body) {
        return Json.tryParse(client.rawJson(method, path, Json.write(body)));
    }

    /** The run of the experiment whose tag holds the value: what an earlier try of this create made. */
    private static String runCarrying(MlflowRestClient client, String experimentId, String tag, String value) {
        if (!value.matches("[A-Za-z0-9_-]+")) {
            return null; // not an id this SDK family writes: nothing to look for
        }
        ObjectNode search = Json.object().put("max_results", 1).put("run_view_type", "ALL")
                .put("filter", "tags.`" + tag + "` = '" + value + "'");
        search.putArray("experiment_ids").add(experimentId);
        JsonNode runs = send(client, Routes.RUNS_SEARCH.method(), Routes.RUNS_SEARCH.template(), search).path("runs");
        return runs.size() == 0 ? null : runs.get(0).path("info").path("run_id").asText();
    }

    static Outcome artifact(MlflowRestClient client, Path dir, ObjectNode record, Map<String, String> binds) {
        String runId = record.path("run_id").asText();
        runId = binds.getOrDefault(runId, runId);
        Path local = dir.resolve(record.path("file").asText());
        String artifactPath = record.path("artifact_path").asText("");
        String under = artifactPath.isEmpty() ? null : artifactPath;
        if ("dir".equals(record.path("kind").asText()) && Files.isDirectory(local)) {
            client.artifacts().uploadContents(runId, local, under);
        } else {
            client.artifacts().upload(runId, local, under);
        }
        return new Outcome(null, false);
    }
}
