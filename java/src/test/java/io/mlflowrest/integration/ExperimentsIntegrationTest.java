package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Experiment;

class ExperimentsIntegrationTest {
    @Test
    void createGetUpdateTagDeleteRestore() {
        try (MlflowRestClient client = LiveServer.client()) {
            String name = LiveServer.unique("exp");
            String id = client.experiments().create(name, null, Map.of("team", "ml"));
            Experiment e = client.experiments().get(id);
            assertEquals(name, e.getName());
            assertTrue(e.getTagsList().stream().anyMatch(t -> t.getKey().equals("team") && t.getValue().equals("ml")));
            assertEquals(id, client.experiments().getByName(name).getExperimentId());

            client.experiments().update(id, name + "-renamed");
            assertEquals(name + "-renamed", client.experiments().get(id).getName());
            client.experiments().setTag(id, "stage", "dev");
            client.experiments().deleteTag(id, "stage");
            assertFalse(client.experiments().get(id).getTagsList().stream().anyMatch(t -> t.getKey().equals("stage")));

            client.experiments().delete(id);
            assertEquals("deleted", client.experiments().get(id).getLifecycleStage());
            client.experiments().restore(id);
            assertEquals("active", client.experiments().get(id).getLifecycleStage());
        }
    }

    @Test
    void duplicateNameAndMissingExperimentAreTypedErrors() {
        try (MlflowRestClient client = LiveServer.client()) {
            String name = LiveServer.unique("dup");
            client.experiments().create(name);
            ResourceAlreadyExistsError dup = assertThrows(ResourceAlreadyExistsError.class,
                    () -> client.experiments().create(name));
            assertEquals(400, dup.httpStatus());
            assertEquals("RESOURCE_ALREADY_EXISTS", dup.errorCode());
            ResourceDoesNotExistError missing = assertThrows(ResourceDoesNotExistError.class,
                    () -> client.experiments().getByName(LiveServer.unique("missing")));
            assertEquals(404, missing.httpStatus());
        }
    }

    @Test
    void searchPaginatesThroughEveryMatch() {
        try (MlflowRestClient client = LiveServer.client()) {
            String prefix = LiveServer.unique("page");
            for (int i = 0; i < 5; i++) {
                client.experiments().create(prefix + "-" + i);
            }
            List<String> names = client.experiments()
                    .search(SearchOptions.filter("name LIKE '" + prefix + "%'").orderBy("name ASC").pageSize(2))
                    .stream().map(Experiment::getName).toList();
            assertEquals(List.of(prefix + "-0", prefix + "-1", prefix + "-2", prefix + "-3", prefix + "-4"), names);
        }
    }
}
