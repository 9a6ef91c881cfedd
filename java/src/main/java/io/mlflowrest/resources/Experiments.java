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

    public Experiments(Transport transport) {
        this.transport = transport;
    }

    /** Creates an experiment and returns its id. */
    public String create(String name) {
        return create(name, null, Map.of());
    }

    /**
     * Creates an experiment with an artifact location (null: the server's default) and tags.
     * Safe to retry: before a retry the experiment of that name is looked up, and when it
     * carries this call's request-id tag (the first try made it) its id is returned.
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

    public Experiment get(String experimentId) {
        Validation.experimentId(experimentId);
        JsonNode json = transport.call(Routes.EXPERIMENTS_GET, Query.of().with("experiment_id", experimentId), null);
        return Json.proto(json.path("experiment"), Experiment.newBuilder());
    }

    /** The experiment of that name; {@link ResourceDoesNotExistError} when there is none. */
    public Experiment getByName(String name) {
        Validation.required("experiment_name", name);
        JsonNode json = transport.call(Routes.EXPERIMENTS_GET_BY_NAME, Query.of().with("experiment_name", name), null);
        return Json.proto(json.path("experiment"), Experiment.newBuilder());
    }

    /** Every experiment (active ones by default), fetched page by page as iteration goes. */
    public PagedIterable<Experiment> search() {
        return search(SearchOptions.ALL);
    }

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

    /** Renames the experiment. */
    public void update(String experimentId, String newName) {
        Validation.experimentId(experimentId);
        Validation.experimentName(newName);
        transport.call(Routes.EXPERIMENTS_UPDATE, Query.of(),
                Json.object().put("experiment_id", experimentId).put("new_name", newName));
    }

    public void delete(String experimentId) {
        Validation.experimentId(experimentId);
        transport.call(Routes.EXPERIMENTS_DELETE, Query.of(), Json.object().put("experiment_id", experimentId));
    }

    public void restore(String experimentId) {
        Validation.experimentId(experimentId);
        transport.call(Routes.EXPERIMENTS_RESTORE, Query.of(), Json.object().put("experiment_id", experimentId));
    }

    public void setTag(String experimentId, String key, String value) {
        Validation.experimentId(experimentId);
        Validation.experimentTag(key, value);
        transport.call(Routes.EXPERIMENTS_SET_TAG, Query.of(),
                Json.object().put("experiment_id", experimentId).put("key", key).put("value", value));
    }

    public void deleteTag(String experimentId, String key) {
        Validation.experimentId(experimentId);
        Validation.required("key", key);
        transport.call(Routes.EXPERIMENTS_DELETE_TAG, Query.of(),
                Json.object().put("experiment_id", experimentId).put("key", key));
    }
}
