package io.mlflowrest.compat.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.compat.MlflowClient;
import io.mlflowrest.compat.example.Main;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.tracking.MlflowHttpException;

/** The chapter's Main, one import changed, against the pinned server with Python ruled out (Surefire sets MLFLOW_PYTHON_EXECUTABLE=/bin/false). */
class BookMainTest {
    @Test
    void bookMainLogsAndTerminatesItsRun() {
        try (MlflowClient setup = Live.dropIn(); MlflowRestClient check = Live.check()) {
            assertEquals("/bin/false", System.getenv("MLFLOW_PYTHON_EXECUTABLE"));
            // the book's literal "test" is no run id: make the run it logs to first
            String runId = setup.createRun().getRunId();
            Main.main(new String[] {runId});
            Run run = check.runs().get(runId);
            assertEquals("0.5", run.getData().getParamsList().get(0).getValue());
            List<Metric> rmse = check.metrics().history(runId, "rmse").toList();
            assertEquals(1, rmse.size());
            assertEquals(0.786, rmse.get(0).getValue());
            assertTrue(run.getData().getTagsList().stream()
                    .anyMatch(t -> t.getKey().equals("origin") && t.getValue().equals("HelloWorld Java Example")));
            assertEquals(RunStatus.FINISHED, run.getInfo().getStatus());
        }
    }

    @Test
    void bookMainAsPrintedFailsWithTheOfficialExceptionType() {
        Live.dropIn().close();
        MlflowHttpException e = assertThrows(MlflowHttpException.class, () -> Main.main(new String[0]));
        assertEquals(404, e.getStatusCode());
        assertTrue(e.getMessage().contains("test"), e.getMessage());
    }
}
