package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.Page;
import io.mlflowrest.PagedIterable;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import io.mlflowrest.generated.Routes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;

/** {@code client.modelVersions()}: create, get, update, delete, search, tags, stages. */
public final class ModelVersions {
    private final Transport transport;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.modelVersions()}.
     *
     * @param operations the client's operation layer, whose transport this sends through
     */
    public ModelVersions(RawOperations operations) {
        this.transport = operations.transport();
    }

    /**
     * Registers {@code source} (an artifact URI, e.g. a run's artifact_uri + "/model") as a new version.
     *
     * @param name the registered model's name
     * @param source the artifact URI of the model's files
     * @param runId the run that made it, or null
     * @return the new version, numbered by the server
     */
    public ModelVersion create(String name, String source, String runId) {
        return create(name, source, runId, null, Map.of());
    }

    /**
     * Registers {@code source} as a new version with a description and tags. Safe to retry: the version
     * carries a request-id tag that a retry looks up first.
     *
     * @param name the registered model's name
     * @param source the artifact URI of the model's files
     * @param runId the run that made it, or null
     * @param description its description, or null
     * @param tags its tags; may be empty
     * @return the new version, numbered by the server
     */
    public ModelVersion create(String name, String source, String runId, String description, Map<String, String> tags) {
        return create(name, source, runId, description, tags, null);
    }

    /**
     * With {@code modelId}, the MLflow 3 logged model the version comes from; the server then
     * requires {@code source} to be that model's {@code models:/<model_id>}.
     *
     * @param name the registered model's name
     * @param source the artifact URI of the model's files
     * @param runId the run that made it, or null
     * @param description its description, or null
     * @param tags its tags; may be empty
     * @param modelId the logged model's id, or null
     * @return the new version, numbered by the server
     */
    public ModelVersion create(String name, String source, String runId, String description, Map<String, String> tags,
                               String modelId) {
        Validation.required("name", name);
        Validation.required("source", source);
        tags.forEach(Validation::registryTag);
        ObjectNode body = Json.object().put("name", name).put("source", source).put("run_id", runId)
                .put("description", description).put("model_id", modelId);
        ArrayNode tagArray = body.putArray("tags");
        tags.forEach((k, v) -> tagArray.addObject().put("key", k).put("value", v));
        // Each create makes the next version: a retry first looks for the version this call made.
        String requestId = RequestIds.next();
        RequestIds.addTag(tagArray, requestId);
        return parse(transport.call(Routes.MODEL_VERSIONS_CREATE, Map.of(), Query.of(), body, () -> {
            String filter = "name = " + RequestIds.quote(name) + " and tags.`" + RequestIds.TAG + "` = "
                    + RequestIds.quote(requestId);
            JsonNode found = transport.call(Routes.MODEL_VERSIONS_SEARCH,
                    Query.of().with("filter", filter).with("max_results", "1"), null).path("model_versions");
            return found.size() == 0 ? Optional.empty()
                    : Optional.of(Json.object().set("model_version", found.get(0)));
        }));
    }

    /**
     * @param name the registered model's name
     * @param version the version number, e.g. {@code "3"}
     * @return the version
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such version
     */
    public ModelVersion get(String name, String version) {
        checkId(name, version);
        return parse(transport.call(Routes.MODEL_VERSIONS_GET, Query.of().with("name", name).with("version", version),
                null));
    }

    /**
     * Changes the version's description.
     *
     * @param name the registered model's name
     * @param version the version number, e.g. {@code "3"}
     * @param description the new description
     * @return the version after the change
     */
    public ModelVersion update(String name, String version, String description) {
        checkId(name, version);
        return parse(transport.call(Routes.MODEL_VERSIONS_UPDATE, Query.of(),
                Json.object().put("name", name).put("version", version).put("description", description)));
    }

    /**
     * Deletes the version, for good.
     *
     * @param name the registered model's name
     * @param version the version number, e.g. {@code "3"}
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such version
     */
    public void delete(String name, String version) {
        checkId(name, version);
        transport.call(Routes.MODEL_VERSIONS_DELETE, Query.of(), Json.object().put("name", name).put("version", version));
    }

    /**
     * Every version matching the options (e.g. {@code name='m'}), fetched page by page.
     *
     * @param options filter, order and page size
     * @return the versions, walked lazily
     */
    public PagedIterable<ModelVersion> search(SearchOptions options) {
        return new PagedIterable<>(token -> {
            Query q = Query.of().with("filter", options.filter()).with("max_results", options.pageSize())
                    .withEach("order_by", options.orderBy()).with("page_token", token);
            JsonNode json = transport.call(Routes.MODEL_VERSIONS_SEARCH, q, null);
            List<ModelVersion> items = new ArrayList<>();
            json.path("model_versions").forEach(v -> items.add(Json.proto(v, ModelVersion.newBuilder())));
            return new Page<>(items, json.path("next_page_token").asText(null));
        });
    }

    /**
     * Sets a tag on the version, overwriting any earlier value.
     *
     * @param name the registered model's name
     * @param version the version number, e.g. {@code "3"}
     * @param key at most 250 characters
     * @param value at most 100000 characters
     */
    public void setTag(String name, String version, String key, String value) {
        checkId(name, version);
        Validation.registryTag(key, value);
        transport.call(Routes.MODEL_VERSIONS_SET_TAG, Query.of(),
                Json.object().put("name", name).put("version", version).put("key", key).put("value", value));
    }

    /**
     * Removes a tag from the version.
     *
     * @param name the registered model's name
     * @param version the version number, e.g. {@code "3"}
     * @param key the tag's name
     */
    public void deleteTag(String name, String version, String key) {
        checkId(name, version);
        Validation.required("key", key);
        transport.call(Routes.MODEL_VERSIONS_DELETE_TAG, Query.of(),
                Json.object().put("name", name).put("version", version).put("key", key));
    }

    /**
     * Moves the version to {@code stage} (None, Staging, Production, Archived).
     *
     * @param name the registered model's name
     * @param version the version number, e.g. {@code "3"}
     * @param stage None, Staging, Production or Archived
     * @param archiveExistingVersions true to archive the versions now in that stage
     * @return the version after the change
     */
    public ModelVersion transitionStage(String name, String version, String stage, boolean archiveExistingVersions) {
        checkId(name, version);
        Validation.required("stage", stage);
        return parse(transport.call(Routes.MODEL_VERSIONS_TRANSITION_STAGE, Query.of(),
                Json.object().put("name", name).put("version", version).put("stage", stage)
                        .put("archive_existing_versions", archiveExistingVersions)));
    }

    /**
     * Where the version's files are; {@code client.artifacts().downloadUri(...)} fetches them.
     *
     * @param name the registered model's name
     * @param version the version number, e.g. {@code "3"}
     * @return the artifact URI of the version's files
     */
    public String getDownloadUri(String name, String version) {
        checkId(name, version);
        return transport.call(Routes.MODEL_VERSIONS_GET_DOWNLOAD_URI,
                Query.of().with("name", name).with("version", version), null).path("artifact_uri").asText();
    }

    private static void checkId(String name, String version) {
        Validation.required("name", name);
        Validation.required("version", version);
    }

    private static ModelVersion parse(JsonNode json) {
        return Json.proto(json.path("model_version"), ModelVersion.newBuilder());
    }
}
