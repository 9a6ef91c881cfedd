package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.api.Api;
import io.mlflowrest.generated.model.CreateDataset;
import io.mlflowrest.generated.model.CreateExperiment;
import io.mlflowrest.generated.model.CreateRun;
import io.mlflowrest.generated.model.GetDatasetParams;
import io.mlflowrest.generated.model.GetMetricHistoryBulkIntervalParams;
import io.mlflowrest.generated.model.LogMetric;
import io.mlflowrest.generated.model.LogParam;
import io.mlflowrest.generated.model.MetricWithRunId;
import io.mlflowrest.generated.model.RunStatus;
import io.mlflowrest.generated.model.SearchRuns;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The generated operation layer against the live server: records in and out, typed errors. */
class GeneratedApiIntegrationTest {
    @Test
    void representativeCallsOfTheGeneratedLayer() {
        try (MlflowRestClient client = LiveServer.client()) {
            Api api = client.api();
            String exp = api.experiments().create(new CreateExperiment(LiveServer.unique("api"), null, null)).experimentId();
            String run = api.runs().create(new CreateRun(exp, null, "typed", null, null)).run().info().runId();
            for (long step = 0; step < 3; step++) {
                api.runs().logMetric(new LogMetric(run, null, "loss", 1.0 / (step + 1), 1_700_000_000_000L + step, step,
                        null, null, null));
            }
            // the bulk interval route had no typed method before the generated layer
            List<MetricWithRunId> points = api.metrics().getHistoryBulkInterval(
                    new GetMetricHistoryBulkIntervalParams(List.of(run), "loss", null, null, null)).metrics();
            assertEquals(List.of(0L, 1L, 2L), points.stream().map(MetricWithRunId::step).toList());
            assertEquals(RunStatus.RUNNING, api.runs().get(new io.mlflowrest.generated.model.GetRunParams(run, null))
                    .run().info().status());
            assertEquals(1, api.runs().search(new SearchRuns(List.of(exp), null, null, null, null, null)).runs().size());

            // datasets: a family with no hand-written resource at all
            String dataset = api.datasets().create(new CreateDataset(LiveServer.unique("ds"), List.of(exp), null, null,
                    null, null, null, null)).dataset().datasetId();
            assertEquals(dataset, api.datasets().get(dataset, new GetDatasetParams(null)).dataset().datasetId());
            assertEquals(List.of(exp), api.datasets().getExperimentIds(dataset).experimentIds());

            // bad input is refused before sending with the family's error, as through client.runs()
            InvalidParameterValueError bad = assertThrows(InvalidParameterValueError.class,
                    () -> api.runs().logParam(new LogParam(run, null, "bad key!", "1")));
            assertEquals("key", bad.field());
            assertNull(bad.httpStatus());
        }
    }

    @Test
    void aPathParameterTheServerAlsoReadsFromTheBodyTravelsInBoth() {
        // updateIssue: the server answers 400 "Missing value for required parameter 'issue_id'"
        // unless the id is in the body as well as in the path.
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.api().experiments().create(new CreateExperiment(LiveServer.unique("issues"), null, null))
                    .experimentId();
            String issue = client.operations().call("createIssue", Map.of("experiment_id", exp, "name", "hallucination",
                    "description", "cites a missing page")).path("issue").path("issue_id").asText();
            JsonNode updated = client.operations().call("updateIssue", Map.of("issue_id", issue,
                    "description", "cites page 3"));
            assertEquals("cites page 3", updated.path("issue").path("description").asText());
            assertEquals(issue, updated.path("issue").path("issue_id").asText());
        }
    }
}
