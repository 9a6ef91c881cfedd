package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.Page;
import io.mlflowrest.PagedIterable;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.generated.Routes;
import io.mlflowrest.generated.model.CreateLoggedModelResponse;
import io.mlflowrest.generated.model.FinalizeLoggedModelResponse;
import io.mlflowrest.generated.model.GetLoggedModelResponse;
import io.mlflowrest.generated.model.LoggedModel;
import io.mlflowrest.generated.model.LoggedModelStatus;
import io.mlflowrest.generated.model.SearchLoggedModelsResponse;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code client.loggedModels()}: MLflow 3's logged models, which the official Java client
 * does not know; typed with records generated from the spec.
 */
public final class LoggedModels {
    private final Transport transport;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.loggedModels()}.
     *
     * @param operations the client's operation layer, whose transport this sends through
     */
    public LoggedModels(RawOperations operations) {
        this.transport = operations.transport();
    }

    /**
     * Creates a PENDING logged model; upload its files, then {@link #finalize(String, LoggedModelStatus)}.
     *
     * @param experimentId the experiment it belongs to
     * @param name its name, or null for one the server picks
     * @param sourceRunId the run that made it, or null
     * @param modelType a free-form type, e.g. {@code agent}, or null
     * @param params its params; may be empty
     * @param tags its tags; may be empty
     * @return the new model, PENDING
     */
    public LoggedModel create(String experimentId, String name, String sourceRunId, String modelType,
                              Map<String, String> params, Map<String, String> tags) {
        Validation.experimentId(experimentId);
        ObjectNode body = Json.object().put("experiment_id", experimentId).put("name", name)
                .put("source_run_id", sourceRunId).put("model_type", modelType);
        body.set("params", pairs(params));
        ArrayNode tagArray = pairs(tags);
        String requestId = RequestIds.next();
        RequestIds.addTag(tagArray, requestId);
        body.set("tags", tagArray);
        // Each create makes a new model id: a retry first looks for the model this call made.
        JsonNode json = transport.call(Routes.LOGGED_MODELS_CREATE, Map.of(), Query.of(), body, () -> {
            ObjectNode search = Json.object().put("max_results", 1)
                    .put("filter", "tags.`" + RequestIds.TAG + "` = " + RequestIds.quote(requestId));
            search.putArray("experiment_ids").add(experimentId);
            JsonNode found = transport.call(Routes.LOGGED_MODELS_SEARCH, Query.of(), search).path("models");
            return found.size() == 0 ? Optional.empty() : Optional.of(Json.object().set("model", found.get(0)));
        });
        return Json.record(json, CreateLoggedModelResponse.class).model();
    }

    /**
     * @param modelId the logged model's id
     * @return the model
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such logged model
     */
    public LoggedModel get(String modelId) {
        return Json.record(transport.call(Routes.LOGGED_MODELS_GET, id(modelId), Query.of(), null),
                GetLoggedModelResponse.class).model();
    }

    /**
     * Sets the final status, e.g. LOGGED_MODEL_READY once its files are uploaded.
     *
     * @param modelId the logged model's id
     * @param status e.g. LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED
     * @return the model after the change
     */
    public LoggedModel finalize(String modelId, LoggedModelStatus status) {
        Validation.required("status", status == null ? null : status.name());
        JsonNode json = transport.call(Routes.LOGGED_MODELS_FINALIZE, id(modelId), Query.of(),
                Json.object().put("model_id", modelId).put("status", status.name()));
        return Json.record(json, FinalizeLoggedModelResponse.class).model();
    }

    /**
     * Deletes the logged model.
     *
     * @param modelId the logged model's id
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such logged model
     */
    public void delete(String modelId) {
        transport.call(Routes.LOGGED_MODELS_DELETE, id(modelId), Query.of(), null);
    }

    /**
     * Logged models of the experiments; orderBy clauses are "field [ASC|DESC]".
     *
     * @param experimentIds the experiments to search in
     * @param options filter, order and page size
     * @return the models, walked lazily
     */
    public PagedIterable<LoggedModel> search(List<String> experimentIds, SearchOptions options) {
        experimentIds.forEach(Validation::experimentId);
        return new PagedIterable<>(token -> {
            ObjectNode body = Json.object().put("filter", options.filter()).put("page_token", token)
                    .put("max_results", options.pageSize());
            experimentIds.forEach(body.putArray("experiment_ids")::add);
            ArrayNode order = body.putArray("order_by");
            for (String clause : options.orderBy()) {
                String[] parts = clause.trim().split("\\s+");
                order.addObject().put("field_name", parts[0])
                        .put("ascending", parts.length < 2 || !parts[1].equalsIgnoreCase("DESC"));
            }
            SearchLoggedModelsResponse page = Json.record(transport.call(Routes.LOGGED_MODELS_SEARCH, Query.of(), body),
                    SearchLoggedModelsResponse.class);
            return new Page<>(page.models() == null ? List.of() : page.models(), page.nextPageToken());
        });
    }

    /**
     * Sets tags on the logged model, overwriting earlier values.
     *
     * @param modelId the logged model's id
     * @param tags name -> value
     */
    public void setTags(String modelId, Map<String, String> tags) {
        tags.forEach((k, v) -> Validation.runTag(k, v));
        ObjectNode body = Json.object().put("model_id", modelId);
        body.set("tags", pairs(tags));
        transport.call(Routes.LOGGED_MODELS_SET_TAGS, id(modelId), Query.of(), body);
    }

    /**
     * Removes a tag from the logged model.
     *
     * @param modelId the logged model's id
     * @param key the tag's name
     */
    public void deleteTag(String modelId, String key) {
        Validation.required("tag_key", key);
        transport.call(Routes.LOGGED_MODELS_DELETE_TAG, Map.of("model_id", modelId, "tag_key", key), Query.of(), null);
    }

    /**
     * Logs params on the logged model.
     *
     * @param modelId the logged model's id
     * @param params name -> value
     */
    public void logParams(String modelId, Map<String, String> params) {
        params.forEach((k, v) -> {
            Validation.key("key", k);
            Validation.paramValue(v);
        });
        ObjectNode body = Json.object().put("model_id", modelId);
        body.set("params", pairs(params));
        transport.call(Routes.LOGGED_MODELS_LOG_PARAMS, id(modelId), Query.of(), body);
    }

    private static Map<String, String> id(String modelId) {
        Validation.required("model_id", modelId);
        return Map.of("model_id", modelId);
    }

    private static ArrayNode pairs(Map<String, String> map) {
        ArrayNode array = Json.array();
        if (map != null) {
            map.forEach((k, v) -> array.addObject().put("key", k).put("value", v));
        }
        return array;
    }
}
