package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.ModelRegistry.RegisteredModel;
import org.mlflow.api.proto.Service.RunInfo;

class RegistryIntegrationTest {
    @Test
    void registeredModelLifecycle() {
        try (MlflowRestClient client = LiveServer.client()) {
            String name = LiveServer.unique("model");
            RegisteredModel created = client.registeredModels().create(name, "first", Map.of("team", "ml"));
            assertEquals(name, created.getName());
            assertThrows(ResourceAlreadyExistsError.class, () -> client.registeredModels().create(name));
            assertEquals("second", client.registeredModels().update(name, "second").getDescription());
            client.registeredModels().setTag(name, "k", "v");
            assertTrue(client.registeredModels().get(name).getTagsList().stream().anyMatch(t -> t.getKey().equals("k")));
            client.registeredModels().deleteTag(name, "k");
            assertTrue(client.registeredModels().get(name).getTagsList().stream().noneMatch(t -> t.getKey().equals("k")));

            String renamed = name + "-r";
            assertEquals(renamed, client.registeredModels().rename(name, renamed).getName());
            List<String> found = client.registeredModels().search(SearchOptions.filter("name = '" + renamed + "'"))
                    .stream().map(RegisteredModel::getName).toList();
            assertEquals(List.of(renamed), found);
            client.registeredModels().delete(renamed);
            assertThrows(ResourceDoesNotExistError.class, () -> client.registeredModels().get(renamed));
        }
    }

    @Test
    void versionsAliasesStagesAndTags() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("reg"));
            RunInfo run = client.runs().create(exp).getInfo();
            String name = LiveServer.unique("versioned");
            client.registeredModels().create(name);
            String source = run.getArtifactUri() + "/model";
            ModelVersion v1 = client.modelVersions().create(name, source, run.getRunId());
            ModelVersion v2 = client.modelVersions().create(name, source, run.getRunId(), "two", Map.of("k", "v"));
            assertEquals("1", v1.getVersion());
            assertEquals("2", v2.getVersion());

            assertEquals("desc", client.modelVersions().update(name, "1", "desc").getDescription());
            client.modelVersions().setTag(name, "1", "quality", "good");
            // versions also carry the SDK's request-id tag (family-rules.yaml): look tags up by key
            assertEquals("good", client.modelVersions().get(name, "1").getTagsList().stream()
                    .filter(tag -> tag.getKey().equals("quality")).findFirst().orElseThrow().getValue());
            client.modelVersions().deleteTag(name, "1", "quality");
            assertTrue(client.modelVersions().get(name, "1").getTagsList().stream()
                    .noneMatch(tag -> tag.getKey().equals("quality")));

            client.registeredModels().setAlias(name, "champion", "2");
            assertEquals("2", client.registeredModels().getVersionByAlias(name, "champion").getVersion());
            assertTrue(client.registeredModels().get(name).getAliasesList().stream()
                    .anyMatch(a -> a.getAlias().equals("champion")));
            client.registeredModels().deleteAlias(name, "champion");
            // the server answers an unknown alias with 400 INVALID_PARAMETER_VALUE, not 404
            assertThrows(InvalidParameterValueError.class,
                    () -> client.registeredModels().getVersionByAlias(name, "champion"));

            assertEquals("Production", client.modelVersions().transitionStage(name, "1", "Production", false)
                    .getCurrentStage());
            assertEquals("1", client.registeredModels().getLatestVersions(name, List.of("Production")).get(0)
                    .getVersion());

            List<ModelVersion> versions = client.modelVersions()
                    .search(SearchOptions.filter("name = '" + name + "'").pageSize(1)).toList();
            assertEquals(2, versions.size());
            assertEquals(source, client.modelVersions().getDownloadUri(name, "2"));
            client.modelVersions().delete(name, "2");
            assertThrows(ResourceDoesNotExistError.class, () -> client.modelVersions().get(name, "2"));
        }
    }
}
