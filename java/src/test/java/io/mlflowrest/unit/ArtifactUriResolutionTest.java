package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.unit.StubServer.Answer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runs:/, models:/name/version, @alias, /stage, /latest and models:/m-... resolved through a
 * stub tracking server to shared-path artifact roots, followed through each version's source.
 */
class ArtifactUriResolutionTest {
    @TempDir
    Path tmp;
    private StubServer stub;
    private MlflowRestClient client;
    private Path runRoot;
    private Path modelRoot;

    @BeforeEach
    void start() throws IOException {
        runRoot = Files.createDirectories(tmp.resolve("store/r1/artifacts/model/data"));
        Files.writeString(runRoot.resolve("w.txt"), "run weights");
        runRoot = tmp.resolve("store/r1/artifacts");
        modelRoot = Files.createDirectories(tmp.resolve("store/lm/artifacts"));
        Files.writeString(modelRoot.resolve("MLmodel"), "logged model");
        stub = new StubServer().otherwise(this::route);
        client = MlflowRestClient.create(stub.config().build());
    }

    @AfterEach
    void stop() {
        client.close();
        stub.close();
    }

    private static String version(String v, String source) {
        return "{\"name\":\"churn\",\"version\":\"" + v + "\",\"source\":\"" + source + "\"}";
    }

    private Answer route(StubServer.Request r) {
        String u = r.uri();
        if (u.contains("/runs/get")) {
            return Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r1\",\"artifact_uri\":\"" + runRoot.toUri() + "\"}}}");
        }
        if (u.contains("/registered-models/alias")) {
            return Answer.json(200, "{\"model_version\":" + version("3", "runs:/r1/model") + "}");
        }
        if (u.contains("/model-versions/get")) {
            return Answer.json(200, "{\"model_version\":" + version("2", "models:/m-abc") + "}");
        }
        if (u.contains("/get-latest-versions")) {
            return Answer.json(200, "{\"model_versions\":[" + version("1", "models:/m-abc") + "," + version("4", "runs:/r1/model") + "]}");
        }
        if (u.contains("/logged-models/m-abc")) {
            return Answer.json(200, "{\"model\":{\"info\":{\"model_id\":\"m-abc\",\"artifact_uri\":\"" + modelRoot + "\"}}}");
        }
        return Answer.json(404, "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"no route " + u + "\"}");
    }

    @Test
    void aliasFollowsTheVersionSourceToTheRun() throws IOException {
        Path got = client.artifacts().download(URI.create("models:/churn@champion"), tmp.resolve("a"));
        assertEquals("run weights", Files.readString(got.resolve("data/w.txt")));
        assertTrue(stub.requests.stream().anyMatch(q -> q.uri().contains("alias=champion")));
    }

    @Test
    void versionNumberFollowsALoggedModelSource() throws IOException {
        Path got = client.artifacts().download(URI.create("models:/churn/2"), tmp.resolve("b"));
        assertEquals("logged model", Files.readString(got.resolve("MLmodel")));
        assertTrue(stub.requests.stream().anyMatch(q -> q.uri().contains("model-versions/get?name=churn&version=2")));
    }

    @Test
    void stageAndLatestTakeTheNewestVersion() throws IOException {
        Path staged = client.artifacts().downloadUri("models:/churn/Production", tmp.resolve("c"));
        assertEquals("run weights", Files.readString(staged.resolve("data/w.txt")));
        assertTrue(stub.requests.stream().anyMatch(q -> q.body().contains("Production")));
        Path latest = client.artifacts().downloadUri("models:/churn/latest", tmp.resolve("d"));
        assertEquals("run weights", Files.readString(latest.resolve("data/w.txt")));
    }

    @Test
    void loggedModelAndRunUrisWithPaths() throws IOException {
        assertEquals("logged model", Files.readString(client.artifacts().downloadUri("models:/m-abc/MLmodel", tmp.resolve("e"))));
        assertEquals("run weights", Files.readString(client.artifacts().downloadUri("runs:/r1/model/data/w.txt", tmp.resolve("f"))));
        long runLookups = stub.requests.stream().filter(q -> q.uri().contains("/runs/get")).count();
        client.artifacts().downloadUri("runs:/r1/model/data/w.txt", tmp.resolve("g"));
        assertEquals(runLookups, stub.requests.stream().filter(q -> q.uri().contains("/runs/get")).count(),
                "a run's artifact root is looked up once");
    }

    @Test
    void malformedModelUrisAreTyped() {
        InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                () -> client.artifacts().downloadUri("models:/churn", tmp.resolve("h")));
        assertEquals("artifact_uri", e.field());
        InvalidParameterValueError stage = assertThrows(InvalidParameterValueError.class,
                () -> client.artifacts().downloadUri("models:/churn/Prod", tmp.resolve("i")));
        assertTrue(stage.getMessage().contains("'Prod'"), stage.getMessage());
    }
}
