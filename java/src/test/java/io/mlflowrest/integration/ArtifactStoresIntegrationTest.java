package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * Artifacts wherever the harness server keeps them: `make test-java` runs this class once per
 * backend (`--artifacts proxied|s3|azure|path|databricks`), and MLFLOWREST_ARTIFACT_SCHEME says
 * which scheme the runs' artifact URIs must have, so a run that quietly fell back to another
 * store fails.
 */
class ArtifactStoresIntegrationTest {
    private static void assertScheme(String artifactUri) {
        String expected = System.getenv("MLFLOWREST_ARTIFACT_SCHEME");
        if (expected != null) {
            assertTrue(artifactUri.startsWith(expected), "artifact URI " + artifactUri + " is not a " + expected + " URI");
        }
    }

    private static Path tree(Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("dataset"));
        Files.createDirectories(dir.resolve("train"));
        Files.createDirectories(dir.resolve("test/deeper"));
        Files.writeString(dir.resolve("train/data.csv"), "x,y\n1,2\n");
        Files.writeString(dir.resolve("test/data.csv"), "x,y\n3,4\n5,6\n");
        Files.writeString(dir.resolve("test/deeper/données ü.txt"), "nested, non-ASCII");
        byte[] big = new byte[3 * 1024 * 1024 + 7];
        new Random(7).nextBytes(big);
        Files.write(dir.resolve("weights.bin"), big);
        return dir;
    }

    private static Map<String, String> contents(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                out.put(root.relativize(p).toString().replace('\\', '/'), Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    /** Issue 15 item 11: the fluent logArtifacts keeps train/ and test/ apart, on every store. */
    @Test
    void fluentAndResourceUploadsKeepNestedFolders(@TempDir Path tmp) throws IOException {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("stores"));
            Path dir = tree(tmp);
            String runId;
            try (ActiveRun run = client.startRun(RunOptions.inExperiment(exp))) {
                runId = run.getId();
                assertScheme(run.getArtifactUri());
                run.logArtifacts(dir, "ds");
            }
            client.artifacts().upload(runId, dir, "res");
            List<String> ds = client.artifacts().list(runId, "ds").stream().map(FileInfo::getPath).sorted().toList();
            assertEquals(List.of("ds/test", "ds/train", "ds/weights.bin"), ds);
            List<FileInfo> test = client.artifacts().list(runId, "ds/test");
            assertTrue(test.stream().anyMatch(f -> f.getPath().equals("ds/test/data.csv") && f.getFileSize() == 12), test.toString());

            Path out = Files.createDirectories(tmp.resolve("out"));
            assertEquals(contents(dir), contents(client.artifacts().download(runId, "ds", out)));
            assertEquals(contents(dir), contents(client.artifacts().download(URI.create("runs:/" + runId + "/res"), tmp.resolve("out2"))));
            Path one = client.artifacts().downloadUri("runs:/" + runId + "/ds/test/deeper/données ü.txt", tmp.resolve("out3"));
            assertEquals("nested, non-ASCII", Files.readString(one));
            Path all = client.artifacts().download(URI.create("runs:/" + runId), tmp.resolve("out4"));
            assertEquals(Map.of(), diff(contents(dir), contents(all.resolve("ds"))));

            assertThrows(ResourceDoesNotExistError.class, () -> client.artifacts().download(runId, "ds/missing.txt", out));
        }
    }

    /** A bad name anywhere in a folder stores nothing, and the error names that file. */
    @Test
    void folderWithABadNameStoresNothing(@TempDir Path tmp) throws IOException {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("badname"));
            String runId = client.runs().create(exp).getInfo().getRunId();
            Path dir = tree(tmp);
            Files.writeString(dir.resolve("test/bad#name.txt"), "refused");
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.artifacts().upload(runId, dir, "ds"));
            assertTrue(e.getMessage().contains("test/bad#name.txt"), e.getMessage());
            assertEquals(List.of(), client.artifacts().list(runId));
        }
    }

    /** runs:/, models:/name/version, @alias, /stage, /latest and MLflow 3's models:/m-... */
    @Test
    void modelUrisResolveToWhereverTheFilesAre(@TempDir Path tmp) throws IOException {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("models"));
            String runId = client.runs().create(exp).getInfo().getRunId();
            Path model = Files.createDirectories(tmp.resolve("model"));
            Files.writeString(model.resolve("MLmodel"), "flavors: {}\n");
            Files.createDirectories(model.resolve("data"));
            Files.writeString(model.resolve("data/weights.txt"), "0.5 0.25");
            client.artifacts().upload(runId, model, "model");

            String name = LiveServer.unique("churn");
            client.registeredModels().create(name);
            client.modelVersions().create(name, "runs:/" + runId + "/model", runId);
            client.registeredModels().setAlias(name, "champion", "1");
            for (String uri : List.of("models:/" + name + "/1", "models:/" + name + "@champion", "models:/" + name + "/latest")) {
                Path got = client.artifacts().download(URI.create(uri), tmp.resolve("dl-" + uri.hashCode()));
                assertEquals("0.5 0.25", Files.readString(got.resolve("data/weights.txt")), uri);
            }
            client.modelVersions().transitionStage(name, "1", "Production", false);
            Path staged = client.artifacts().downloadUri("models:/" + name + "/Production", tmp.resolve("staged"));
            assertEquals("flavors: {}\n", Files.readString(staged.resolve("MLmodel")));

            var logged = client.loggedModels().create(exp, LiveServer.unique("lm"), runId, null, Map.of(), Map.of());
            String modelId = logged.info().modelId();
            assertScheme(logged.info().artifactUri());
            client.artifacts().uploadToUri("models:/" + modelId, model, null);
            String lmName = LiveServer.unique("lm-registered");
            client.registeredModels().create(lmName);
            client.modelVersions().create(lmName, "models:/" + modelId, runId, null, Map.of(), modelId);
            client.registeredModels().setAlias(lmName, "champion", "1");
            Path viaAlias = client.artifacts().download(URI.create("models:/" + lmName + "@champion"), tmp.resolve("lm"));
            assertEquals(contents(model), contents(viaAlias));
            byte[] weights = Files.readAllBytes(client.artifacts().downloadUri("models:/" + modelId + "/data/weights.txt", tmp.resolve("lm-one")));
            assertArrayEquals("0.5 0.25".getBytes(), weights);
        }
    }

    private static Map<String, String> diff(Map<String, String> a, Map<String, String> b) {
        Map<String, String> out = new TreeMap<>();
        a.forEach((k, v) -> {
            if (!v.equals(b.get(k))) {
                out.put(k, v + " vs " + b.get(k));
            }
        });
        b.keySet().stream().filter(k -> !a.containsKey(k)).forEach(k -> out.put(k, "extra"));
        return out;
    }
}
