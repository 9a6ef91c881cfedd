package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.Page;
import io.mlflowrest.PagedIterable;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import io.mlflowrest.generated.Routes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mlflow.api.proto.Service.Experiment;

/** {@code client.experiments()}: create, get, search, update, delete, restore, tags. */
public final class Experiments {
    private final Transport transport;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.experiments()}.
     *
     * @param operations the client's operation layer, whose transport this sends through
     */
    public Experiments(RawOperations operations) {
        this.transport = operations.transport();
    }

    /**
     * Creates an experiment and returns its id.
     *
     * @param name unique among experiments, at most 500 characters
     * @return the new experiment's id
     * @throws io.mlflowrest.errors.ResourceAlreadyExistsError when an experiment has that name (deleted ones
     *     too)
     */
    public String create(String name) {
        return create(name, null, Map.of());
    }

    /**
     * Creates an experiment with an artifact location (null: the server's default) and tags.
     * Safe to retry: before a retry the experiment of that name is looked up, and when it
     * carries this call's request-id tag (the first try made it) its id is returned.
     *
     * @param name unique among experiments, at most 500 characters
     * @param artifactLocation where its runs' artifacts go, or null for the server's default
     * @param tags its tags; may be empty
     * @return the new experiment's id
     * @throws io.mlflowrest.errors.ResourceAlreadyExistsError when an experiment has that name (deleted ones
     *     too)
     */
    public String create(String name, String artifactLocation, Map<String, String> tags) {
        Validation.experimentName(name);
        tags.forEach(Validation::experimentTag);
        String requestId = RequestIds.next();
        ObjectNode body = Json.object().put("name", name);
        if (artifactLocation != null) {
            body.put("artifact_location", artifactLocation);
        }
        ArrayNode tagArray = body.putArray("tags");
        tags.forEach((k, v) -> tagArray.addObject().put("key", k).put("value", v));
        RequestIds.addTag(tagArray, requestId);
        return transport.call(Routes.EXPERIMENTS_CREATE, Map.of(), Query.of(), body, () -> {
            try {
                JsonNode found = transport.call(Routes.EXPERIMENTS_GET_BY_NAME,
                        Query.of().with("experiment_name", name), null).path("experiment");
                return RequestIds.carries(found.path("tags"), requestId)
                        ? Optional.of(Json.object().put("experiment_id", found.path("experiment_id").asText()))
                        : Optional.empty();
            } catch (ResourceDoesNotExistError e) {
                return Optional.empty();
            }
        }).path("experiment_id").asText();
    }

    /**
     * @param experimentId the experiment's id
     * @return the experiment, deleted or not
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such experiment
     */
    public Experiment get(String experimentId) {
        Validation.experimentId(experimentId);
        JsonNode json = transport.call(Routes.EXPERIMENTS_GET, Query.of().with("experiment_id", experimentId), null);
        return Json.proto(json.path("experiment"), Experiment.newBuilder());
    }

    /**
     * The experiment of that name; {@link ResourceDoesNotExistError} when there is none.
     *
     * @param name the experiment's name
     * @return the experiment
     */
    public Experiment getByName(String name) {
        Validation.required("experiment_name", name);
        JsonNode json = transport.call(Routes.EXPERIMENTS_GET_BY_NAME, Query.of().with("experiment_name", name), null);
        return Json.proto(json.path("experiment"), Experiment.newBuilder());
    }

    /**
     * Every experiment (active ones by default), fetched page by page as iteration goes.
     *
     * @return the experiments, walked lazily
     */
    public PagedIterable<Experiment> search() {
        return search(SearchOptions.ALL);
    }

    /**
     * Experiments matching the options, fetched page by page as iteration goes.
     *
     * @param options filter, order, page size and view type
     * @return the experiments, walked lazily
     */
    public PagedIterable<Experiment> search(SearchOptions options) {
        return new PagedIterable<>(token -> {
            ObjectNode body = Json.object();
            body.put("filter", options.filter());
            body.put("view_type", options.viewType());
            body.put("page_token", token);
            if (options.pageSize() != null) {
                body.put("max_results", options.pageSize());
            }
            options.orderBy().forEach(body.withArray("order_by")::add);
            JsonNode json = transport.call(Routes.EXPERIMENTS_SEARCH, Query.of(), body);
            List<Experiment> items = new ArrayList<>();
            json.path("experiments").forEach(e -> items.add(Json.proto(e, Experiment.newBuilder())));
            return new Page<>(items, json.path("next_page_token").asText(null));
        });
    }

    /**
     * Renames the experiment.
     *
     * @param experimentId the experiment's id
     * @param newName unique among experiments, at most 500 characters
     */
    public void update(String experimentId, String newName) {
        Validation.experimentId(experimentId);
        Validation.experimentName(newName);
        transport.call(Routes.EXPERIMENTS_UPDATE, Query.of(),
                Json.object().put("experiment_id", experimentId).put("new_name", newName));
    }

    /**
     * Marks the experiment deleted (with its runs); {@link #restore(String)} undoes it until the server's
     * garbage collection.
     *
     * @param experimentId the experiment's id
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such experiment
     */
    public void delete(String experimentId) {
        Validation.experimentId(experimentId);
        transport.call(Routes.EXPERIMENTS_DELETE, Query.of(), Json.object().put("experiment_id", experimentId));
    }

    /**
     * Brings a deleted experiment back.
     *
     * @param experimentId the experiment's id
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such experiment
     */
    public void restore(String experimentId) {
        Validation.experimentId(experimentId);
        transport.call(Routes.EXPERIMENTS_RESTORE, Query.of(), Json.object().put("experiment_id", experimentId));
    }

    /**
     * Sets a tag on the experiment, overwriting any earlier value.
     *
     * @param experimentId the experiment's id
     * @param key at most 250 characters
     * @param value at most 20000 characters
     */
    public void setTag(String experimentId, String key, String value) {
        Validation.experimentId(experimentId);
        Validation.experimentTag(key, value);
        transport.call(Routes.EXPERIMENTS_SET_TAG, Query.of(),
                Json.object().put("experiment_id", experimentId).put("key", key).put("value", value));
    }

    /**
     * Removes a tag from the experiment.
     *
     * @param experimentId the experiment's id
     * @param key the tag's name
     */
    public void deleteTag(String experimentId, String key) {
        Validation.experimentId(experimentId);
        Validation.required("key", key);
        transport.call(Routes.EXPERIMENTS_DELETE_TAG, Query.of(),
                Json.object().put("experiment_id", experimentId).put("key", key));
    }
}
