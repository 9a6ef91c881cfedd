package io.mlflowrest;

import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.RetryGuard;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.artifacts.ArtifactRepositories;
import io.mlflowrest.internal.http.RequestBody;
import io.mlflowrest.resources.Artifacts;
import io.mlflowrest.resources.Experiments;
import io.mlflowrest.resources.LoggedModels;
import io.mlflowrest.resources.Metrics;
import io.mlflowrest.resources.ModelVersions;
import io.mlflowrest.resources.RegisteredModels;
import io.mlflowrest.resources.Runs;
import io.mlflowrest.resources.StartedRun;
import io.mlflowrest.resources.RawOperations;
import io.mlflowrest.resources.Webhooks;
import java.nio.file.Path;
import java.time.Duration;
import org.mlflow.api.proto.Service.RunInfo;

/**
 * The mlflowrest client: one resource per part of the REST API, named as in the spec
 * ({@code client.experiments().create(...)}, {@code client.runs().logBatch(...)}), and fluent
 * runs. Thread-safe; close it to release its connections. Serializable as its configuration: a
 * client built on a Spark driver is usable inside a task, where it opens connections of its own.
 */
public final class MlflowRestClient implements AutoCloseable, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final ClientConfig config;
    private final Transport transport;
    private final Experiments experiments;
    private final Runs runs;
    private final Metrics metrics;
    private final RegisteredModels registeredModels;
    private final ModelVersions modelVersions;
    private final LoggedModels loggedModels;
    private final Artifacts artifacts;
    private final Webhooks webhooks;
    private final RawOperations operations;
    private final ArtifactRepositories repositories;

    private MlflowRestClient(ClientConfig config) {
        this.config = config;
        this.transport = new Transport(config);
        this.experiments = new Experiments(transport);
        this.runs = new Runs(transport, config.batchConcurrency());
        this.metrics = new Metrics(transport);
        this.registeredModels = new RegisteredModels(transport);
        this.modelVersions = new ModelVersions(transport);
        this.loggedModels = new LoggedModels(transport);
        this.repositories = new ArtifactRepositories(transport, config, System.getenv(), Path.of(System.getProperty("user.home")));
        this.artifacts = new Artifacts(runs, registeredModels, modelVersions, loggedModels, repositories);
        this.webhooks = new Webhooks(transport);
        this.operations = new RawOperations(transport);
    }

    public static MlflowRestClient create(ClientConfig config) {
        return new MlflowRestClient(config);
    }

    /** Configured by MLFLOW_TRACKING_URI and the other MLFLOW_* variables. */
    public static MlflowRestClient fromEnvironment() {
        return create(ClientConfig.fromEnvironment());
    }

    public ClientConfig config() {
        return config;
    }

    public Experiments experiments() {
        return experiments;
    }

    public Runs runs() {
        return runs;
    }

    public Metrics metrics() {
        return metrics;
    }

    public RegisteredModels registeredModels() {
        return registeredModels;
    }

    public ModelVersions modelVersions() {
        return modelVersions;
    }

    public LoggedModels loggedModels() {
        return loggedModels;
    }

    public Artifacts artifacts() {
        return artifacts;
    }

    public Webhooks webhooks() {
        return webhooks;
    }

    /** Every operation of the spec by operationId, JSON in and out (for what has no typed method yet). */
    public RawOperations operations() {
        return operations;
    }

    /** Starts a run in the experiment; use it in try-with-resources. */
    public ActiveRun startRun(String experimentId) {
        return startRun(RunOptions.inExperiment(experimentId));
    }

    public ActiveRun startRun(RunOptions options) {
        if (options.idempotencyKey() != null) {
            StartedRun started = runs.startOrResume(options.experimentId(), options.runName(), options.tags(),
                    options.idempotencyKey());
            ActiveRun run = open(started.run().getInfo(), true, options.backgroundFlush());
            run.markStarted(started.resumed(), started.alreadyFinished());
            return run;
        }
        RunInfo info = runs.create(options.experimentId(), options.runName(), options.tags()).getInfo();
        return open(info, true, options.backgroundFlush());
    }

    /**
     * An existing run (e.g. one the official client started) to log to through mlflowrest;
     * closing it does not end the run.
     */
    public ActiveRun attachRun(String runId) {
        return open(runs.get(runId).getInfo(), false, null);
    }

    private ActiveRun open(RunInfo info, boolean owned, Duration backgroundFlush) {
        BackgroundLogger background = backgroundFlush == null ? null
                : new BackgroundLogger(runs, info.getRunId(), backgroundFlush, config.flushTimeout(),
                        config.batchConcurrency(), transport::isClosed);
        return new ActiveRun(info, runs, artifacts, owned, background);
    }

    /** The block's work inside a run; it may throw anything. */
    @FunctionalInterface
    public interface RunBody<T> {
        T apply(ActiveRun run) throws Exception;
    }

    /**
     * Runs {@code body} in a new run that ends FINISHED, or FAILED when the body throws; the
     * exception is then rethrown unchanged (checked ones too), unlike the official
     * MlflowContext.withActiveRun, which swallows it.
     */
    public <T> T withRun(RunOptions options, RunBody<T> body) {
        ActiveRun run = startRun(options);
        T result;
        try {
            result = body.apply(run);
        } catch (Throwable t) {
            try {
                run.fail(t);
            } catch (RuntimeException endFailure) {
                t.addSuppressed(endFailure);
            }
            throw MlflowRestClient.<RuntimeException>sneaky(t);
        }
        run.close();
        return result;
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /**
     * Any JSON route, for what has no method here: {@code pathAndQuery} below the tracking URI
     * (e.g. {@code "/api/2.0/mlflow/runs/get?run_id=..."}), {@code jsonBody} null for none. The
     * same retries, timeout and typed errors as every call; a create sent this way carries no
     * request id, so a retried one may answer RESOURCE_ALREADY_EXISTS.
     */
    public String rawJson(String method, String pathAndQuery, String jsonBody) {
        return Json.write(transport.json(method, pathAndQuery, Query.of(),
                jsonBody == null ? null : RequestBody.json(jsonBody), RetryGuard.NONE));
    }

    /** The run's page in the MLflow UI. */
    public String runUrl(String experimentId, String runId) {
        return config.trackingUri() + "/#/experiments/" + experimentId + "/runs/" + runId;
    }

    @Override
    public void close() {
        transport.close();
        repositories.close();
    }

    @Override
    public String toString() {
        return "MlflowRestClient{" + config + "}";
    }

    private Object writeReplace() {
        return new Serialized(config);
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("MlflowRestClient is read through its serialized form");
    }

    private record Serialized(ClientConfig config) implements java.io.Serializable {
        private Object readResolve() {
            return create(config);
        }
    }
}
