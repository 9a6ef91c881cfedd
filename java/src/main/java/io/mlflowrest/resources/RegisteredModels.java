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
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.ModelRegistry.RegisteredModel;

/** {@code client.registeredModels()}: the whole registered-model API, aliases included. */
public final class RegisteredModels {
    private final Transport transport;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.registeredModels()}.
     *
     * @param operations the client's operation layer, whose transport this sends through
     */
    public RegisteredModels(RawOperations operations) {
        this.transport = operations.transport();
    }

    /**
     * Creates a registered model with no description or tags; safe to retry, as below.
     *
     * @param name unique among registered models
     * @return the new model
     * @throws io.mlflowrest.errors.ResourceAlreadyExistsError when a model has that name
     */
    public RegisteredModel create(String name) {
        return create(name, null, Map.of());
    }

    /**
     * Creates a registered model. Safe to retry: before a retry the model of that name is looked
     * up, and when it carries this call's request-id tag (the first try made it) it is returned.
     *
     * @param name unique among registered models
     * @param description its description, or null
     * @param tags its tags; may be empty
     * @return the new model
     * @throws io.mlflowrest.errors.ResourceAlreadyExistsError when a model has that name
     */
    public RegisteredModel create(String name, String description, Map<String, String> tags) {
        Validation.required("name", name);
        tags.forEach(Validation::registryTag);
        String requestId = RequestIds.next();
        ObjectNode body = Json.object().put("name", name).put("description", description);
        ArrayNode tagArray = body.putArray("tags");
        tags.forEach((k, v) -> tagArray.addObject().put("key", k).put("value", v));
        RequestIds.addTag(tagArray, requestId);
        return parse(transport.call(Routes.REGISTERED_MODELS_CREATE, Map.of(), Query.of(), body, () -> {
            try {
                JsonNode found = transport.call(Routes.REGISTERED_MODELS_GET, Query.of().with("name", name), null);
                return RequestIds.carries(found.path("registered_model").path("tags"), requestId)
                        ? Optional.of(found) : Optional.empty();
            } catch (ResourceDoesNotExistError e) {
                return Optional.empty();
            }
        }));
    }

    /**
     * @param name the registered model's name
     * @return the model with its latest versions and aliases
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such model
     */
    public RegisteredModel get(String name) {
        Validation.required("name", name);
        return parse(transport.call(Routes.REGISTERED_MODELS_GET, Query.of().with("name", name), null));
    }

    /**
     * Changes the model's description.
     *
     * @param name the registered model's name
     * @param description the new description
     * @return the model after the change
     */
    public RegisteredModel update(String name, String description) {
        Validation.required("name", name);
        return parse(transport.call(Routes.REGISTERED_MODELS_UPDATE, Query.of(),
                Json.object().put("name", name).put("description", description)));
    }

    /**
     * Renames the model; its versions follow.
     *
     * @param name the registered model's name
     * @param newName unique among registered models
     * @return the model after the change
     */
    public RegisteredModel rename(String name, String newName) {
        Validation.required("name", name);
        Validation.required("new_name", newName);
        return parse(transport.call(Routes.REGISTERED_MODELS_RENAME, Query.of(),
                Json.object().put("name", name).put("new_name", newName)));
    }

    /**
     * Deletes the model and all its versions, for good.
     *
     * @param name the registered model's name
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such model
     */
    public void delete(String name) {
        Validation.required("name", name);
        transport.call(Routes.REGISTERED_MODELS_DELETE, Query.of(), Json.object().put("name", name));
    }

    /**
     * Every registered model matching the options, fetched page by page.
     *
     * @param options filter (e.g. {@code name LIKE 'a%'}), order and page size
     * @return the models, walked lazily
     */
    public PagedIterable<RegisteredModel> search(SearchOptions options) {
        return new PagedIterable<>(token -> {
            Query q = Query.of().with("filter", options.filter()).with("max_results", options.pageSize())
                    .withEach("order_by", options.orderBy()).with("page_token", token);
            JsonNode json = transport.call(Routes.REGISTERED_MODELS_SEARCH, q, null);
            List<RegisteredModel> items = new ArrayList<>();
            json.path("registered_models").forEach(m -> items.add(Json.proto(m, RegisteredModel.newBuilder())));
            return new Page<>(items, json.path("next_page_token").asText(null));
        });
    }

    /**
     * Sets a tag on the model, overwriting any earlier value.
     *
     * @param name the registered model's name
     * @param key at most 250 characters
     * @param value at most 100000 characters
     */
    public void setTag(String name, String key, String value) {
        Validation.required("name", name);
        Validation.registryTag(key, value);
        transport.call(Routes.REGISTERED_MODELS_SET_TAG, Query.of(),
                Json.object().put("name", name).put("key", key).put("value", value));
    }

    /**
     * Removes a tag from the model.
     *
     * @param name the registered model's name
     * @param key the tag's name
     */
    public void deleteTag(String name, String key) {
        Validation.required("name", name);
        Validation.required("key", key);
        transport.call(Routes.REGISTERED_MODELS_DELETE_TAG, Query.of(), Json.object().put("name", name).put("key", key));
    }

    /**
     * Points {@code alias} at a version, moving it if it pointed elsewhere.
     *
     * @param name the registered model's name
     * @param alias at most 255 characters: letters, digits, underscores and hyphens
     * @param version the version number, e.g. {@code "3"}
     */
    public void setAlias(String name, String alias, String version) {
        Validation.required("name", name);
        Validation.alias(alias);
        Validation.required("version", version);
        transport.call(Routes.REGISTERED_MODELS_SET_ALIAS, Query.of(),
                Json.object().put("name", name).put("alias", alias).put("version", version));
    }

    /**
     * Removes the alias; the version it pointed at stays.
     *
     * @param name the registered model's name
     * @param alias the alias
     */
    public void deleteAlias(String name, String alias) {
        Validation.required("name", name);
        Validation.required("alias", alias);
        transport.call(Routes.REGISTERED_MODELS_DELETE_ALIAS, Query.of(),
                Json.object().put("name", name).put("alias", alias));
    }

    /**
     * @param name the registered model's name
     * @param alias the alias
     * @return the version the alias points at
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when the model has no such alias
     */
    public ModelVersion getVersionByAlias(String name, String alias) {
        Validation.required("name", name);
        Validation.required("alias", alias);
        JsonNode json = transport.call(Routes.REGISTERED_MODELS_GET_VERSION_BY_ALIAS,
                Query.of().with("name", name).with("alias", alias), null);
        return Json.proto(json.path("model_version"), ModelVersion.newBuilder());
    }

    /**
     * The latest version in each stage (all stages when {@code stages} is empty).
     *
     * @param name the registered model's name
     * @param stages e.g. {@code List.of("Production")}; empty for all
     * @return one version per stage that has any
     */
    public List<ModelVersion> getLatestVersions(String name, List<String> stages) {
        Validation.required("name", name);
        ObjectNode body = Json.object().put("name", name);
        stages.forEach(body.putArray("stages")::add);
        JsonNode json = transport.call(Routes.REGISTERED_MODELS_GET_LATEST_VERSIONS, Query.of(), body);
        List<ModelVersion> versions = new ArrayList<>();
        json.path("model_versions").forEach(v -> versions.add(Json.proto(v, ModelVersion.newBuilder())));
        return versions;
    }

    private static RegisteredModel parse(JsonNode json) {
        return Json.proto(json.path("registered_model"), RegisteredModel.newBuilder());
    }
}
