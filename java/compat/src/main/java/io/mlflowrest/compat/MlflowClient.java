package io.mlflowrest.compat;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.Page;
import io.mlflowrest.SearchOptions;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.ModelRegistry.RegisteredModel;
import org.mlflow.api.proto.Service.CreateExperiment;
import org.mlflow.api.proto.Service.CreateRun;
import org.mlflow.api.proto.Service.Experiment;
import org.mlflow.api.proto.Service.ExperimentTag;
import org.mlflow.api.proto.Service.FileInfo;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow.api.proto.Service.ViewType;
import org.mlflow.tracking.ExperimentsPage;
import org.mlflow.tracking.ModelVersionsPage;
import org.mlflow.tracking.RunsPage;
import org.mlflow.tracking.creds.MlflowHostCredsProvider;

/**
 * A drop-in for {@code org.mlflow.tracking.MlflowClient}: it <em>is</em> one (pass it wherever
 * one is expected), built by the same constructors, so existing code changes its import line
 * only. Every method that talks to the server goes through mlflowrest: artifacts without Python,
 * {@code logBatch} and {@code getMetricHistory} of any size, mlflowrest's retries and timeouts
 * (no hang), and errors that are both the official exception types and mlflowrest's typed ones
 * ({@link io.mlflowrest.compat.errors}). Methods that only delegate to others are inherited.
 * Registry writes, which the official client lacks, are here too; everything else is reachable
 * through {@link #mlflowrest()}.
 */
public class MlflowClient extends org.mlflow.tracking.MlflowClient {
    private static final long serialVersionUID = 1L;
    private static final String API = "/api/2.0/mlflow/";

    private final transient MlflowRestClient rest;

    /** A client for the server named by {@code MLFLOW_TRACKING_URI}, configured by the other MLFLOW_* variables. */
    public MlflowClient() {
        super();
        this.rest = MlflowRestClient.create(Configs.fromEnvironment());
    }

    /**
     * A client for that server; credentials, TLS, retries and timeout from the MLFLOW_* variables.
     *
     * @param trackingUri {@code http(s)://host:port}, {@code databricks} or {@code databricks://profile}
     */
    public MlflowClient(String trackingUri) {
        super(trackingUri);
        this.rest = MlflowRestClient.create(Configs.forUri(trackingUri));
    }

    /**
     * A client for the provider's host and credentials; retries and timeout from the MLFLOW_* variables.
     *
     * @param hostCredsProvider e.g. {@code new BasicMlflowHostCreds(uri, token)}
     */
    public MlflowClient(MlflowHostCredsProvider hostCredsProvider) {
        super(hostCredsProvider);
        this.rest = MlflowRestClient.create(Configs.forCreds(hostCredsProvider));
    }

    /**
     * A client with an mlflowrest configuration (e.g. {@code ClientConfig.builder()...build()}).
     *
     * @param config the server, credentials, retries and timeout
     */
    public MlflowClient(ClientConfig config) {
        super(new org.mlflow.tracking.creds.BasicMlflowHostCreds(config.trackingUri().toString()));
        this.rest = MlflowRestClient.create(config);
    }

    /**
     * The mlflowrest client doing this client's work, for what the official API has no method for
     * (aliases, logged models, webhooks, {@code withRun}...). Closed with this client.
     *
     * @return the mlflowrest client
     */
    public MlflowRestClient mlflowrest() {
        return rest;
    }

    // ---- runs ----

    @Override
    public Run getRun(String runId) {
        return Translate.call(() -> rest.runs().get(runId));
    }

    /** Every point, however many: fetched page by page (the official client fails above 25,000). */
    @Override
    public List<Metric> getMetricHistory(String runId, String key) {
        return Translate.call(() -> rest.metrics().history(runId, key).toList());
    }

    /** Safe to retry: the run carries mlflowrest's request id, so a lost answer never makes two runs. */
    @Override
    public RunInfo createRun(CreateRun request) {
        Map<String, String> tags = new java.util.LinkedHashMap<>();
        if (request.hasUserId() && !request.getUserId().isEmpty()) {
            tags.put("mlflow.user", request.getUserId()); // MLflow's replacement for the deprecated user_id
        }
        request.getTagsList().forEach(t -> tags.put(t.getKey(), t.getValue()));
        String runName = request.hasRunName() && !request.getRunName().isEmpty() ? request.getRunName() : null;
        return Translate.call(() -> rest.runs().create(request.getExperimentId(), runName, tags).getInfo());
    }

    @Override
    public RunsPage searchRuns(List<String> experimentIds, String searchFilter, ViewType runViewType,
            int maxResults, List<String> orderBy, String pageToken) {
        SearchOptions options = new SearchOptions(searchFilter, orderBy == null ? List.of() : orderBy, maxResults,
                runViewType == null ? null : runViewType.name());
        Page<Run> page = Translate.call(() -> rest.runs().search(experimentIds, options).page(pageToken));
        return Pages.runs(page.items(), page.nextPageToken(), experimentIds, searchFilter, runViewType, maxResults,
                options.orderBy(), this);
    }

    @Override
    public void deleteRun(String runId) {
        Translate.run(() -> rest.runs().delete(runId));
    }

    @Override
    public void restoreRun(String runId) {
        Translate.run(() -> rest.runs().restore(runId));
    }

    @Override
    public void logParam(String runId, String key, String value) {
        Translate.run(() -> rest.runs().logParam(runId, key, value));
    }

    @Override
    public void logMetric(String runId, String key, double value, long timestamp, long step) {
        Translate.run(() -> rest.runs().logMetric(runId, key, value, timestamp, step));
    }

    @Override
    public void setTag(String runId, String key, String value) {
        Translate.run(() -> rest.runs().setTag(runId, key, value));
    }

    @Override
    public void deleteTag(String runId, String key) {
        Translate.run(() -> rest.runs().deleteTag(runId, key));
    }

    /** Any size: split into requests within the server's limits (the official client sends one request). */
    @Override
    public void logBatch(String runId, Iterable<Metric> metrics, Iterable<Param> params, Iterable<RunTag> tags) {
        Translate.run(() -> rest.runs().logBatch(runId, orEmpty(metrics), orEmpty(params), orEmpty(tags)));
    }

    @Override
    public void setTerminated(String runId, RunStatus status, long endTime) {
        Translate.run(() -> rest.runs().update(runId, status, endTime, null));
    }

    // ---- experiments ----

    @Override
    public ExperimentsPage searchExperiments(String searchFilter, ViewType experimentViewType, int maxResults,
            List<String> orderBy, String pageToken) {
        SearchOptions options = new SearchOptions(searchFilter, orderBy == null ? List.of() : orderBy, maxResults,
                experimentViewType == null ? null : experimentViewType.name());
        Page<Experiment> page = Translate.call(() -> rest.experiments().search(options).page(pageToken));
        return Pages.experiments(page.items(), page.nextPageToken(), searchFilter, experimentViewType, maxResults,
                options.orderBy(), this);
    }

    /**
     * Every experiment, as 1.x's {@code listExperiments()} returned them (MLflow 2.0 removed the
     * route; this walks {@code experiments/search}), so 1.x code compiles unchanged.
     *
     * @return the active experiments
     */
    public List<Experiment> listExperiments() {
        return Translate.call(() -> rest.experiments().search(SearchOptions.ALL.pageSize(1000)).toList());
    }

    @Override
    public Experiment getExperiment(String experimentId) {
        return Translate.call(() -> rest.experiments().get(experimentId));
    }

    @Override
    public Optional<Experiment> getExperimentByName(String experimentName) {
        try {
            return Optional.of(rest.experiments().getByName(experimentName));
        } catch (io.mlflowrest.errors.ResourceDoesNotExistError missing) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw Translate.error(e);
        }
    }

    /** Safe to retry: an answer lost after the server created it returns that experiment. */
    @Override
    public String createExperiment(String experimentName) {
        return Translate.call(() -> rest.experiments().create(experimentName));
    }

    @Override
    public String createExperiment(CreateExperiment request) {
        Map<String, String> tags = request.getTagsList().stream()
                .collect(Collectors.toMap(ExperimentTag::getKey, ExperimentTag::getValue, (a, b) -> b,
                        java.util.LinkedHashMap::new));
        String location = request.hasArtifactLocation() && !request.getArtifactLocation().isEmpty()
                ? request.getArtifactLocation() : null;
        return Translate.call(() -> rest.experiments().create(request.getName(), location, tags));
    }

    @Override
    public void deleteExperiment(String experimentId) {
        Translate.run(() -> rest.experiments().delete(experimentId));
    }

    @Override
    public void restoreExperiment(String experimentId) {
        Translate.run(() -> rest.experiments().restore(experimentId));
    }

    @Override
    public void renameExperiment(String experimentId, String newName) {
        Translate.run(() -> rest.experiments().update(experimentId, newName));
    }

    @Override
    public void setExperimentTag(String experimentId, String key, String value) {
        Translate.run(() -> rest.experiments().setTag(experimentId, key, value));
    }

    // ---- raw routes ----

    /** Through mlflowrest's transport; a route MLflow 3.x removed goes to its replacement. */
    @Override
    public String sendGet(String path) {
        return Translate.call(() -> rest.rawJson("GET", API + RemovedRoutes.rewrite(path), null));
    }

    /** Through mlflowrest's transport; a route MLflow 3.x removed goes to its replacement. */
    @Override
    public String sendPost(String path, String json) {
        return Translate.call(() -> rest.rawJson("POST", API + RemovedRoutes.rewrite(path), json));
    }

    /** Through mlflowrest's transport; a route MLflow 3.x removed goes to its replacement. */
    @Override
    public String sendPatch(String path, String json) {
        return Translate.call(() -> rest.rawJson("PATCH", API + RemovedRoutes.rewrite(path), json));
    }

    // ---- artifacts: over the server's proxied artifact routes, never through Python ----

    @Override
    public void logArtifact(String runId, File localFile) {
        Translate.run(() -> rest.artifacts().upload(runId, localFile.toPath()));
    }

    @Override
    public void logArtifact(String runId, File localFile, String artifactPath) {
        Translate.run(() -> rest.artifacts().upload(runId, localFile.toPath(), artifactPath));
    }

    @Override
    public void logArtifacts(String runId, File localDir) {
        Translate.run(() -> rest.artifacts().upload(runId, localDir.toPath()));
    }

    @Override
    public void logArtifacts(String runId, File localDir, String artifactPath) {
        Translate.run(() -> rest.artifacts().upload(runId, localDir.toPath(), artifactPath));
    }

    @Override
    public List<FileInfo> listArtifacts(String runId) {
        return Translate.call(() -> rest.artifacts().list(runId));
    }

    @Override
    public List<FileInfo> listArtifacts(String runId, String artifactPath) {
        return Translate.call(() -> rest.artifacts().list(runId, artifactPath));
    }

    /** Into a new temporary folder, as the official client does; returns the run's artifact root there. */
    @Override
    public File downloadArtifacts(String runId) {
        return downloadArtifacts(runId, "");
    }

    /** Into a new temporary folder, as the official client does; returns the file or folder there. */
    @Override
    public File downloadArtifacts(String runId, String artifactPath) {
        Path dir = tempDir("mlflow-artifacts");
        return Translate.call(() -> rest.artifacts().download(runId, artifactPath, dir)).toFile();
    }

    /** Into a new temporary folder, following the version's download URI. */
    @Override
    public File downloadModelVersion(String modelName, String version) {
        Path dir = tempDir("mlflow-model");
        return Translate.call(() -> rest.artifacts().downloadModelVersion(modelName, version, dir)).toFile();
    }

    // ---- model registry: reads ----

    @Override
    public List<ModelVersion> getLatestVersions(String modelName, Iterable<String> stages) {
        List<String> list = stages == null ? List.of()
                : StreamSupport.stream(stages.spliterator(), false).collect(Collectors.toList());
        return Translate.call(() -> rest.registeredModels().getLatestVersions(modelName, list));
    }

    @Override
    public ModelVersion getModelVersion(String modelName, String version) {
        return Translate.call(() -> rest.modelVersions().get(modelName, version));
    }

    @Override
    public RegisteredModel getRegisteredModel(String modelName) {
        return Translate.call(() -> rest.registeredModels().get(modelName));
    }

    @Override
    public String getModelVersionDownloadUri(String modelName, String version) {
        return Translate.call(() -> rest.modelVersions().getDownloadUri(modelName, version));
    }

    @Override
    public ModelVersionsPage searchModelVersions(String searchFilter, int maxResults, List<String> orderBy,
            String pageToken) {
        SearchOptions options = new SearchOptions(searchFilter, orderBy == null ? List.of() : orderBy, maxResults,
                null);
        Page<ModelVersion> page = Translate.call(() -> rest.modelVersions().search(options).page(pageToken));
        return Pages.modelVersions(page.items(), page.nextPageToken(), searchFilter, maxResults, options.orderBy(),
                this);
    }

    // ---- model registry: writes the official client lacks ----

    /**
     * Registers a model name; safe to retry.
     *
     * @param name the registered model's name
     * @return the new registered model
     */
    public RegisteredModel createRegisteredModel(String name) {
        return Translate.call(() -> rest.registeredModels().create(name));
    }

    /**
     * Registers a version of a model from a run's artifacts.
     *
     * @param name the registered model's name
     * @param source the artifact URI of the model, e.g. {@code runInfo.getArtifactUri() + "/model"}
     * @param runId the run that made it
     * @return the new version (status PENDING_REGISTRATION or READY)
     */
    public ModelVersion createModelVersion(String name, String source, String runId) {
        return Translate.call(() -> rest.modelVersions().create(name, source, runId));
    }

    /**
     * Moves a version to a stage (MLflow's deprecated stages; prefer aliases).
     *
     * @param name the registered model's name
     * @param version the version number
     * @param stage {@code Staging}, {@code Production}, {@code Archived} or {@code None}
     * @param archiveExistingVersions whether the stage's other versions move to Archived
     * @return the version after the move
     */
    public ModelVersion transitionModelVersionStage(String name, String version, String stage,
            boolean archiveExistingVersions) {
        return Translate.call(() -> rest.modelVersions().transitionStage(name, version, stage, archiveExistingVersions));
    }

    /**
     * Points an alias (e.g. {@code champion}) at a version.
     *
     * @param name the registered model's name
     * @param alias the alias
     * @param version the version number
     */
    public void setRegisteredModelAlias(String name, String alias, String version) {
        Translate.run(() -> rest.registeredModels().setAlias(name, alias, version));
    }

    /**
     * The version an alias points at.
     *
     * @param name the registered model's name
     * @param alias the alias
     * @return the version
     */
    public ModelVersion getModelVersionByAlias(String name, String alias) {
        return Translate.call(() -> rest.registeredModels().getVersionByAlias(name, alias));
    }

    /**
     * Changes a registered model's description.
     *
     * @param name the registered model's name
     * @param description the new description
     * @return the model after the change
     */
    public RegisteredModel updateRegisteredModel(String name, String description) {
        return Translate.call(() -> rest.registeredModels().update(name, description));
    }

    /**
     * Renames a registered model.
     *
     * @param name the current name
     * @param newName the new name
     * @return the renamed model
     */
    public RegisteredModel renameRegisteredModel(String name, String newName) {
        return Translate.call(() -> rest.registeredModels().rename(name, newName));
    }

    /**
     * Sets a tag on a registered model.
     *
     * @param name the registered model's name
     * @param key the tag's key
     * @param value the tag's value
     */
    public void setRegisteredModelTag(String name, String key, String value) {
        Translate.run(() -> rest.registeredModels().setTag(name, key, value));
    }

    /**
     * Sets a tag on a model version.
     *
     * @param name the registered model's name
     * @param version the version number
     * @param key the tag's key
     * @param value the tag's value
     */
    public void setModelVersionTag(String name, String version, String key, String value) {
        Translate.run(() -> rest.modelVersions().setTag(name, version, key, value));
    }

    /**
     * Deletes a model version.
     *
     * @param name the registered model's name
     * @param version the version number
     */
    public void deleteModelVersion(String name, String version) {
        Translate.run(() -> rest.modelVersions().delete(name, version));
    }

    /**
     * Deletes a registered model and its versions.
     *
     * @param name the registered model's name
     */
    public void deleteRegisteredModel(String name) {
        Translate.run(() -> rest.registeredModels().delete(name));
    }

    /**
     * Registered models matching a filter, every page.
     *
     * @param filter e.g. {@code "name LIKE 'fraud%'"}, or null for all
     * @return the matching models
     */
    public List<RegisteredModel> searchRegisteredModels(String filter) {
        return Translate.call(() -> rest.registeredModels().search(SearchOptions.filter(filter).pageSize(1000)).toList());
    }

    /** Closes mlflowrest's connections and the official client's. */
    @Override
    public void close() {
        try {
            rest.close();
        } finally {
            super.close();
        }
    }

    @Override
    public String toString() {
        return "MlflowClient{" + rest.config() + "}";
    }

    private static <T> Iterable<T> orEmpty(Iterable<T> items) {
        return items == null ? new ArrayList<>() : items;
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw Translate.io("cannot create a temporary folder for the download", e);
        }
    }
}
