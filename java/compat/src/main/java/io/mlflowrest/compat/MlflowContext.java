package io.mlflowrest.compat;

import java.util.function.Consumer;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.tracking.ActiveRun;

/**
 * A drop-in for {@code org.mlflow.tracking.MlflowContext}, built by the same constructors, whose
 * runs log through the drop-in {@link MlflowClient}. One difference, on purpose:
 * {@link #withActiveRun(Consumer)} ends the run FAILED <em>and rethrows</em> what the block threw;
 * the official one swallows it, so a failed training job looked like a success.
 */
public class MlflowContext extends org.mlflow.tracking.MlflowContext {
    /** A context on the server named by {@code MLFLOW_TRACKING_URI}. */
    public MlflowContext() {
        this(new MlflowClient());
    }

    /**
     * A context on that server.
     *
     * @param trackingUri {@code http(s)://host:port}, {@code databricks} or {@code databricks://profile}
     */
    public MlflowContext(String trackingUri) {
        this(new MlflowClient(trackingUri));
    }

    /**
     * A context using that client.
     *
     * @param client the client its runs use
     */
    public MlflowContext(MlflowClient client) {
        super(client);
    }

    /**
     * The context's client, typed as the drop-in so existing {@code MlflowClient client =
     * mlflow.getClient();} lines compile with the drop-in's import.
     *
     * @return the drop-in client
     */
    @Override
    public MlflowClient getClient() {
        return (MlflowClient) super.getClient();
    }

    /**
     * Sets the experiment of later runs by name; returns this drop-in, so chained
     * {@code MlflowContext mlflow = new MlflowContext().setExperimentName("x");} lines compile.
     *
     * @param experimentName an existing experiment's name
     * @return this context
     */
    @Override
    public MlflowContext setExperimentName(String experimentName) {
        super.setExperimentName(experimentName);
        return this;
    }

    /**
     * Sets the experiment of later runs by id; returns this drop-in.
     *
     * @param experimentId the experiment's id
     * @return this context
     */
    @Override
    public MlflowContext setExperimentId(String experimentId) {
        super.setExperimentId(experimentId);
        return this;
    }

    /**
     * Runs {@code activeRunFunction} in a new run that ends FINISHED, or FAILED when the function
     * throws; the exception is then rethrown unchanged.
     *
     * @param activeRunFunction the work, given the run
     */
    @Override
    public void withActiveRun(Consumer<ActiveRun> activeRunFunction) {
        finish(startRun(), activeRunFunction);
    }

    /**
     * As {@link #withActiveRun(Consumer)}, in a run with that name.
     *
     * @param runName the run's name
     * @param activeRunFunction the work, given the run
     */
    @Override
    public void withActiveRun(String runName, Consumer<ActiveRun> activeRunFunction) {
        finish(startRun(runName), activeRunFunction);
    }

    private static void finish(ActiveRun run, Consumer<ActiveRun> work) {
        try {
            work.accept(run);
        } catch (RuntimeException | Error e) {
            try {
                run.endRun(RunStatus.FAILED);
            } catch (RuntimeException endFailure) {
                e.addSuppressed(endFailure);
            }
            throw e;
        }
        run.endRun(RunStatus.FINISHED);
    }
}
