package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Limits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.DatasetInput;
import org.mlflow.api.proto.Service.Dataset;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;

class RunsIntegrationTest {
    @Test
    void logsMetricsParamsTagsAndReadsThemBack() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("runs"));
            Run run = client.runs().create(exp, "first", Map.of("origin", "test"));
            String id = run.getInfo().getRunId();
            assertTrue(run.getData().getTagsList().stream().anyMatch(t -> t.getKey().equals("mlflow.mlflowrest.requestId")));
            client.runs().logParam(id, "alpha", "0.5");
            client.runs().logMetric(id, "rmse", 0.786);
            client.runs().logMetric(id, "nan", Double.NaN, 1, 0);
            client.runs().setTag(id, "t", "v");
            client.runs().deleteTag(id, "origin");
            Run back = client.runs().get(id);
            assertEquals("0.5", back.getData().getParamsList().get(0).getValue());
            assertTrue(back.getData().getMetricsList().stream()
                    .anyMatch(m -> m.getKey().equals("nan") && Double.isNaN(m.getValue())));
            assertTrue(back.getData().getTagsList().stream().noneMatch(t -> t.getKey().equals("origin")));

            client.runs().update(id, null, null, "renamed");
            assertEquals("renamed", client.runs().get(id).getInfo().getRunName());
            client.runs().setTerminated(id, RunStatus.FINISHED);
            assertEquals(RunStatus.FINISHED, client.runs().get(id).getInfo().getStatus());
            client.runs().delete(id);
            assertEquals("deleted", client.runs().get(id).getInfo().getLifecycleStage());
            client.runs().restore(id);
            assertEquals("active", client.runs().get(id).getInfo().getLifecycleStage());
        }
    }

    @Test
    void logBatchOfAnySizeLandsWholeAndHistoryPaginates() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("batch"));
            String id = client.runs().create(exp).getInfo().getRunId();
            List<Metric> metrics = IntStream.range(0, 2500).mapToObj(i -> Metric.newBuilder().setKey("loss")
                    .setValue(1.0 / (i + 1)).setTimestamp(1_700_000_000_000L + i).setStep(i).build()).toList();
            List<Param> params = IntStream.range(0, 150).mapToObj(i -> Param.newBuilder().setKey("p" + i)
                    .setValue("v" + i).build()).toList();
            List<RunTag> tags = IntStream.range(0, 120).mapToObj(i -> RunTag.newBuilder().setKey("t" + i)
                    .setValue("v").build()).toList();
            int requests = client.runs().logBatch(id, metrics, params, tags);
            assertTrue(requests >= 3, requests + " requests");
            List<Metric> history = client.metrics().history(id, "loss").toList();
            assertEquals(2500, history.size());
            Run run = client.runs().get(id);
            assertEquals(150, run.getData().getParamsCount());
            // a resend of points already stored adds nothing: the retry rule relies on it
            client.runs().logBatch(id, metrics.subList(0, 10), List.of(), List.of());
            assertEquals(2500, client.metrics().history(id, "loss").toList().size());
        }
    }

    @Test
    void longValuesAreSplitUnderTheServersByteLimit() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("bytes"));
            String id = client.runs().create(exp).getInfo().getRunId();
            List<Param> params = IntStream.range(0, 100).mapToObj(i -> Param.newBuilder().setKey("p" + i)
                    .setValue("x".repeat(Limits.MAX_PARAM_VALUE_LENGTH)).build()).toList();
            List<RunTag> tags = IntStream.range(0, 100).mapToObj(i -> RunTag.newBuilder().setKey("t" + i)
                    .setValue("y".repeat(Limits.MAX_TAG_VALUE_LENGTH)).build()).toList();
            assertTrue(client.runs().logBatch(id, List.of(), params, tags) >= 2);
            Run run = client.runs().get(id);
            assertEquals(100, run.getData().getParamsCount());
            assertEquals(Limits.MAX_PARAM_VALUE_LENGTH, run.getData().getParams(0).getValue().length());
        }
    }

    @Test
    void searchRunsPaginatesAndLogInputsLinksADataset() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("search"));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(client.runs().create(exp).getInfo().getRunId());
            }
            List<String> found = client.runs().search(List.of(exp), SearchOptions.ALL.pageSize(1)).stream()
                    .map(r -> r.getInfo().getRunId()).toList();
            assertEquals(3, found.size());
            assertTrue(found.containsAll(ids));

            Dataset dataset = Dataset.newBuilder().setName("iris").setDigest("abc123").setSourceType("local")
                    .setSource("{\"uri\":\"/tmp/iris.csv\"}").build();
            client.runs().logInputs(ids.get(0), List.of(DatasetInput.newBuilder().setDataset(dataset).build()));
            assertEquals("iris", client.runs().get(ids.get(0)).getInputs().getDatasetInputs(0).getDataset().getName());
        }
    }

    @Test
    void serverSideValidationErrorsAreTyped() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("bad"));
            String id = client.runs().create(exp).getInfo().getRunId();
            client.runs().logParam(id, "p", "1");
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logParam(id, "p", "2"));
            assertEquals(400, e.httpStatus());
            assertEquals("INVALID_PARAMETER_VALUE", e.errorCode());
        }
    }
}
