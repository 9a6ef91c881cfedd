package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.Page;
import io.mlflowrest.PagedIterable;
import io.mlflowrest.generated.Routes;
import io.mlflowrest.generated.model.CreateWebhookResponse;
import io.mlflowrest.generated.model.GetWebhookResponse;
import io.mlflowrest.generated.model.ListWebhooksResponse;
import io.mlflowrest.generated.model.TestWebhookResponse;
import io.mlflowrest.generated.model.UpdateWebhookResponse;
import io.mlflowrest.generated.model.Webhook;
import io.mlflowrest.generated.model.WebhookEvent;
import io.mlflowrest.generated.model.WebhookStatus;
import io.mlflowrest.generated.model.WebhookTestResult;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code client.webhooks()}: model-registry webhooks. The signing secret is sent, never
 * logged or kept.
 */
public final class Webhooks {
    private final Transport transport;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.webhooks()}.
     *
     * @param operations the client's operation layer, whose transport this sends through
     */
    public Webhooks(RawOperations operations) {
        this.transport = operations.transport();
    }

    /**
     * Creates a webhook. Safe to retry: a retry first looks for a hook of this name and URL made since the
     * first try.
     *
     * @param name its name
     * @param url where events are POSTed
     * @param events the entity/action pairs it fires on
     * @param description its description, or null
     * @param secret the HMAC signing secret, or null; sent, never logged or kept
     * @return the new webhook (the server never returns the secret)
     */
    public Webhook create(String name, String url, List<WebhookEvent> events, String description, String secret) {
        Validation.required("name", name);
        Validation.required("url", url);
        ObjectNode body = Json.object().put("name", name).put("url", url).put("description", description)
                .put("secret", secret);
        body.set("events", Json.tree(events));
        // Webhooks carry no tags: the hooks of this name are noted first, and after a lost answer
        // a new one with this name and url is the one this call made (family-rules.yaml).
        Set<String> before = new HashSet<>();
        list().forEach(h -> {
            if (name.equals(h.name())) {
                before.add(h.webhookId());
            }
        });
        JsonNode json = transport.call(Routes.WEBHOOKS_CREATE, Map.of(), Query.of(), body, () -> {
            for (Webhook h : list()) {
                if (name.equals(h.name()) && url.equals(h.url()) && !before.contains(h.webhookId())) {
                    return Optional.of(Json.object().set("webhook", Json.tree(h)));
                }
            }
            return Optional.empty();
        });
        return Json.record(json, CreateWebhookResponse.class).webhook();
    }

    /**
     * @param webhookId the webhook's id
     * @return the webhook
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such webhook
     */
    public Webhook get(String webhookId) {
        return Json.record(transport.call(Routes.WEBHOOKS_GET, id(webhookId), Query.of(), null),
                GetWebhookResponse.class).webhook();
    }

    /** {@return every webhook, walked lazily} */
    public PagedIterable<Webhook> list() {
        return new PagedIterable<>(token -> {
            ListWebhooksResponse page = Json.record(transport.call(Routes.WEBHOOKS_LIST,
                    Query.of().with("page_token", token), null), ListWebhooksResponse.class);
            return new Page<>(page.webhooks() == null ? List.of() : page.webhooks(), page.nextPageToken());
        });
    }

    /**
     * Changes the given fields; null leaves a field as it is.
     *
     * @param webhookId the webhook's id
     * @param name the new name, or null
     * @param url the new URL, or null
     * @param events the new events, or null
     * @param description the new description, or null
     * @param status ACTIVE or DISABLED, or null
     * @return the webhook after the change
     */
    public Webhook update(String webhookId, String name, String url, List<WebhookEvent> events, String description,
                          WebhookStatus status) {
        ObjectNode body = Json.object().put("name", name).put("url", url).put("description", description)
                .put("status", status == null ? null : status.name());
        if (events != null) {
            body.set("events", Json.tree(events));
        }
        return Json.record(transport.call(Routes.WEBHOOKS_UPDATE, id(webhookId), Query.of(), body),
                UpdateWebhookResponse.class).webhook();
    }

    /**
     * Deletes the webhook.
     *
     * @param webhookId the webhook's id
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such webhook
     */
    public void delete(String webhookId) {
        transport.call(Routes.WEBHOOKS_DELETE, id(webhookId), Query.of(), null);
    }

    /**
     * Sends a test event to the webhook's URL; the server reports how it answered.
     *
     * @param webhookId the webhook's id
     * @param event the event to send, or null for one of the hook's own
     * @return the status and body the hook's URL answered
     */
    public WebhookTestResult test(String webhookId, WebhookEvent event) {
        ObjectNode body = Json.object();
        if (event != null) {
            body.set("event", Json.tree(event));
        }
        JsonNode json = transport.call(Routes.WEBHOOKS_TEST, id(webhookId), Query.of(), body);
        return Json.record(json, TestWebhookResponse.class).result();
    }

    private static Map<String, String> id(String webhookId) {
        Validation.required("webhook_id", webhookId);
        return Map.of("webhook_id", webhookId);
    }
}
