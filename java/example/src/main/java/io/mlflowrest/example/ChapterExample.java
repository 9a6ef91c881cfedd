package io.mlflowrest.example;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.OfficialBridge;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.tracking.MlflowClient;

/**
 * The source chapter's example, runnable with {@code java -jar}: tracking through the
 * official MlflowClient API as existing code does, then what that client cannot do without
 * Python (an artifact upload, a model registration) through mlflowrest. Needs only
 * MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_TOKEN etc. when the server wants them).
 */
public final class ChapterExample {
    private static final String EXPERIMENT = "chapter-example";
    private static final String MODEL = "chapter-example-model";

    private ChapterExample() {}

    /**
     * Runs the example against the server MLFLOW_TRACKING_URI names.
     *
     * @param args ignored
     * @throws IOException when the artifact file cannot be written
     */
    public static void main(String[] args) throws IOException {
        ClientConfig config = ClientConfig.fromEnvironment();
        MlflowClient official = OfficialBridge.officialClient(config);
        try (MlflowRestClient mlflow = MlflowRestClient.create(config)) {
            String experimentId = official.getExperimentByName(EXPERIMENT)
                    .map(e -> e.getExperimentId())
                    .orElseGet(() -> official.createExperiment(EXPERIMENT));
            RunInfo run = official.createRun(experimentId);
            String runId = run.getRunId();
            try {
                official.logParam(runId, "alpha", "0.5");
                official.logMetric(runId, "rmse", 0.786);
                official.setTag(runId, "origin", "chapter-example");

                Path dir = Files.createTempDirectory("chapter-example");
                Path model = Files.writeString(dir.resolve("model.txt"), "alpha=0.5\nrmse=0.786\n");
                mlflow.artifacts().upload(runId, model, "model");
                try {
                    mlflow.registeredModels().create(MODEL);
                } catch (ResourceAlreadyExistsError alreadyThere) {
                    // a rerun registers one more version of the same model
                }
                ModelVersion version = mlflow.modelVersions().create(MODEL, run.getArtifactUri() + "/model", runId);

                official.setTerminated(runId, RunStatus.FINISHED);
                System.out.println("run id:        " + runId);
                System.out.println("model version: " + MODEL + " v" + version.getVersion());
                System.out.println("run in the UI: " + mlflow.runUrl(experimentId, runId));
            } catch (RuntimeException | IOException e) {
                official.setTerminated(runId, RunStatus.FAILED);
                throw e;
            } finally {
                official.close();
            }
        }
    }
}
