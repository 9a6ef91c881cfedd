package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.generated.model.LoggedModel;
import io.mlflowrest.generated.model.LoggedModelStatus;
import io.mlflowrest.generated.model.Webhook;
import io.mlflowrest.generated.model.WebhookAction;
import io.mlflowrest.generated.model.WebhookEntity;
import io.mlflowrest.generated.model.WebhookEvent;
import io.mlflowrest.generated.model.WebhookStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoggedModelsAndWebhooksIntegrationTest {
    @Test
    void loggedModelLifecycle(@TempDir Path tmp) throws Exception {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("lm"));
            String runId = client.runs().create(exp).getInfo().getRunId();
            LoggedModel model = client.loggedModels().create(exp, "clf", runId, "sklearn", Map.of("alpha", "0.5"),
                    Map.of("team", "ml"));
            String id = model.info().modelId();
            assertEquals(LoggedModelStatus.LOGGED_MODEL_PENDING, model.info().status());
            assertEquals(runId, model.info().sourceRunId());

            Files.writeString(tmp.resolve("MLmodel"), "flavors: {}");
            client.artifacts().uploadToUri(model.info().artifactUri(), tmp.resolve("MLmodel"), null);
            assertEquals("MLmodel", client.artifacts().listUri(model.info().artifactUri(), null).get(0).getPath());

            client.loggedModels().setTags(id, Map.of("k", "v"));
            client.loggedModels().logParams(id, Map.of("beta", "2"));
            client.loggedModels().deleteTag(id, "team");
            LoggedModel ready = client.loggedModels().finalize(id, LoggedModelStatus.LOGGED_MODEL_READY);
            assertEquals(LoggedModelStatus.LOGGED_MODEL_READY, ready.info().status());
            LoggedModel back = client.loggedModels().get(id);
            assertTrue(back.info().tags().stream().anyMatch(t -> t.key().equals("k")));
            assertTrue(back.info().tags().stream().noneMatch(t -> t.key().equals("team")));
            assertEquals(2, back.data().params().size());

            List<LoggedModel> found = client.loggedModels().search(List.of(exp), SearchOptions.ALL).toList();
            assertEquals(List.of(id), found.stream().map(m -> m.info().modelId()).toList());
            client.loggedModels().delete(id);
            assertThrows(ResourceDoesNotExistError.class, () -> client.loggedModels().get(id));
        }
    }

    @Test
    void webhookLifecycle() {
        try (MlflowRestClient client = LiveServer.client()) {
            // the server refuses hook URLs that resolve to private addresses; this one is never called
            String name = LiveServer.unique("hook").toLowerCase();
            WebhookEvent created = new WebhookEvent(WebhookEntity.REGISTERED_MODEL, WebhookAction.CREATED);
            Webhook hook = client.webhooks().create(name, "https://8.8.8.8/mlflow-hook", List.of(created), "test", "s3cr3t");
            assertEquals(name, hook.name());
            assertEquals(List.of(created), hook.events());
            assertEquals(hook.webhookId(), client.webhooks().get(hook.webhookId()).webhookId());
            assertTrue(client.webhooks().list().stream().anyMatch(w -> w.webhookId().equals(hook.webhookId())));
            Webhook disabled = client.webhooks().update(hook.webhookId(), null, null, null, "changed",
                    WebhookStatus.DISABLED);
            assertEquals(WebhookStatus.DISABLED, disabled.status());
            assertEquals("changed", disabled.description());
            client.webhooks().delete(hook.webhookId());
            assertThrows(ResourceDoesNotExistError.class, () -> client.webhooks().get(hook.webhookId()));
        }
    }
}
