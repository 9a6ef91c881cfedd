package io.mlflowrest;

import io.mlflowrest.internal.journal.Journal;
import io.mlflowrest.resources.Artifacts;
import io.mlflowrest.resources.Experiments;
import io.mlflowrest.resources.LoggedModels;
import io.mlflowrest.resources.Metrics;
import io.mlflowrest.resources.ModelVersions;
import io.mlflowrest.resources.RegisteredModels;
import io.mlflowrest.resources.Runs;
import io.mlflowrest.resources.StartedRun;
import io.mlflowrest.generated.api.Api;
import io.mlflowrest.resources.RawOperations;
import io.mlflowrest.resources.Webhooks;
import java.time.Duration;
import org.mlflow.api.proto.Service.RunInfo;

/**
 * The mlflowrest client: one resource per part of the REST API, named as in the spec
 * ({@code client.experiments().create(...)}, {@code client.runs().logBatch(...)}), and fluent
 * runs. Thread-safe; close it to release its connections. Serializable as its configuration: a
 * client built on a Spark driver is usable inside a task, where it opens connections of its own.
 *
 * @serial exclude
 */
public final class MlflowRestClient implements AutoCloseable, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final ClientConfig config;
    private final Experiments experiments;
    private final Runs runs;
    private final Metrics metrics;
    private final RegisteredModels registeredModels;
    private final ModelVersions modelVersions;
    private final LoggedModels loggedModels;
    private final Artifacts artifacts;
    private final Webhooks webhooks;
    private final RawOperations operations;
    private volatile Api api;

    private MlflowRestClient(ClientConfig config) {
        this.config = config;
        this.operations = new RawOperations(config);
        this.experiments = new Experiments(operations);
        this.runs = new Runs(operations);
        this.metrics = new Metrics(operations);
        this.registeredModels = new RegisteredModels(operations);
        this.modelVersions = new ModelVersions(operations);
        this.loggedModels = new LoggedModels(operations);
        this.artifacts = new Artifacts(runs, registeredModels, modelVersions, loggedModels, operations);
        this.webhooks = new Webhooks(operations);
    }

    /**
     * A client with this configuration; it opens no connection until the first call.
     *
     * @param config built by {@link ClientConfig#builder()} or {@link ClientConfig#fromEnvironment()}
     * @return the client; close it when done
     */
    public static MlflowRestClient create(ClientConfig config) {
        return new MlflowRestClient(config);
    }

    /**
     * Configured by MLFLOW_TRACKING_URI and the other MLFLOW_* variables.
     *
     * @return the client; close it when done
     * @throws io.mlflowrest.errors.InvalidParameterValueError when a variable is set to a value it cannot
     *     take, naming the variable
     */
    public static MlflowRestClient fromEnvironment() {
        return create(ClientConfig.fromEnvironment());
    }

    /** {@return the configuration this client was built with (secrets hidden in its toString)} */
    public ClientConfig config() {
        return config;
    }

    /** {@return create, get, search, rename, delete and tag experiments} */
    public Experiments experiments() {
        return experiments;
    }

    /** {@return create, search and end runs, and log params, metrics and tags to them} */
    public Runs runs() {
        return runs;
    }

    /** {@return metric histories of any length, every page fetched} */
    public Metrics metrics() {
        return metrics;
    }

    /** {@return the model registry's models, their tags and aliases} */
    public RegisteredModels registeredModels() {
        return registeredModels;
    }

    /** {@return the model registry's versions, their stages and tags} */
    public ModelVersions modelVersions() {
        return modelVersions;
    }

    /** {@return MLflow 3's logged models} */
    public LoggedModels loggedModels() {
        return loggedModels;
    }

    /**
     * {@return upload, list and download artifacts of runs, model versions and logged models, without Python}
     */
    public Artifacts artifacts() {
        return artifacts;
    }

    /** {@return the model registry's webhooks} */
    public Webhooks webhooks() {
        return webhooks;
    }

    /**
     * Every operation of the spec by operationId, JSON in and out (for what has no typed method yet).
     *
     * @return the raw operation layer
     */
    public RawOperations operations() {
        return operations;
    }

    /**
     * Every operation of the spec as a typed method, generated from it: records in and out
     * ({@code io.mlflowrest.generated.model}), through the same transport as the resources.
     *
     * @return the generated operation layer, by resource
     */
    public Api api() {
        Api made = api;
        if (made == null) {
            synchronized (this) {
                made = api;
                if (made == null) {
                    // made on first use: a client that never calls it loads none of its classes
                    api = made = new Api(operations);
                }
            }
        }
        return made;
    }

    /**
     * Starts a run in the experiment; use it in try-with-resources.
     *
     * @param experimentId the experiment to start it in
     * @return the running run; closing it ends it FINISHED
     */
    public ActiveRun startRun(String experimentId) {
        return startRun(RunOptions.inExperiment(experimentId));
    }

    /**
     * Starts a run as the options say (name, tags, background logging, idempotency key); use it in
     * try-with-resources.
     *
     * @param options where and how to start it
     * @return the running run; closing it ends it FINISHED unless an earlier attempt finished it
     */
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
     *
     * @param runId the run's id
     * @return the run, to log to
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such run
     */
    public ActiveRun attachRun(String runId) {
        return open(runs.get(runId).getInfo(), false, null);
    }

    private ActiveRun open(RunInfo info, boolean owned, Duration backgroundFlush) {
        BackgroundLogger background = backgroundFlush == null ? null
                : new BackgroundLogger(runs, info.getRunId(), backgroundFlush, config.flushTimeout(),
                        config.batchConcurrency(), operations::isClosed);
        return new ActiveRun(info, runs, artifacts, owned, background, Journal.of(operations),
                config.flushTimeout());
    }

    /**
     * The block's work inside a run; it may throw anything.
     *
     * @param <T> what the block returns
     */
    @FunctionalInterface
    public interface RunBody<T> {
        /**
         * The block's work.
         *
         * @param run the run started for it
         * @return what withRun returns
         * @throws Exception anything; the run then ends FAILED and withRun rethrows it
         */
        T apply(ActiveRun run) throws Exception;
    }

    /**
     * Runs {@code body} in a new run that ends FINISHED, or FAILED when the body throws; the
     * exception is then rethrown unchanged (checked ones too), unlike the official
     * MlflowContext.withActiveRun, which swallows it.
     *
     * @param <T> what the body returns
     * @param options where and how to start the run
     * @param body the work to do in it
     * @return what the body returned
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
     *
     * @param method the HTTP method, e.g. GET
     * @param pathAndQuery the path and query string below the tracking URI
     * @param jsonBody the JSON body, or null
     * @return the answer's JSON text
     */
    public String rawJson(String method, String pathAndQuery, String jsonBody) {
        return operations.rawJson(method, pathAndQuery, jsonBody);
    }

    /**
     * The run's page in the MLflow UI.
     *
     * @param experimentId the run's experiment
     * @param runId the run
     * @return the URL, without credentials
     */
    public String runUrl(String experimentId, String runId) {
        return config.trackingUri() + "/#/experiments/" + experimentId + "/runs/" + runId;
    }

    /**
     * The writes this client recorded in its journal that the server has not answered yet: what
     * {@code sync} will send (every write, offline). 0 without a journal.
     *
     * @return the number of calls left for sync
     */
    public long leftForSync() {
        Journal journal = Journal.of(operations);
        return journal == null ? 0 : journal.leftForSync();
    }

    /** {@return this client's journal file (docs/journal.md), or null without a journal} */
    public java.nio.file.Path journalFile() {
        Journal journal = Journal.of(operations);
        return journal == null ? null : journal.file();
    }

    @Override
    public void close() {
        operations.close();
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
