package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.unit.StubServer.Answer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A file download is one GET; only a 'not a file' answer makes the SDK list it as a folder"
 * (docs/design.md), against a stub that answers as MLflow 3.17.2's proxied artifact endpoints do.
 */
class ArtifactDownloadTest {
    private static final String ROOT = "1/r1/artifacts";
    private static final String FILES = "/api/2.0/mlflow-artifacts/artifacts";

    private StubServer stub;
    /** Storage path (under the run's root) to content; folders are the prefixes. */
    private final Map<String, String> store = new TreeMap<>();

    @BeforeEach
    void start() throws Exception {
        stub = new StubServer();
        stub.otherwise(this::answer);
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void aFileIsOneRequest(@TempDir Path tmp) throws Exception {
        store.put("notes.txt", "hello artifacts");
        try (MlflowRestClient client = client()) {
            Path got = client.artifacts().download("r1", "notes.txt", tmp.resolve("out"));
            assertEquals(tmp.resolve("out/notes.txt"), got);
            assertEquals("hello artifacts", Files.readString(got));
        }
        assertEquals(List.of("GET " + ROOT + "/notes.txt"), artifactRequests());
        assertEquals(List.of("notes.txt"), localFiles(tmp.resolve("out")));
    }

    @Test
    void aFileInASubfolderIsOneRequest(@TempDir Path tmp) throws Exception {
        store.put("data/blob.bin", "0101");
        try (MlflowRestClient client = client()) {
            Path got = client.artifacts().download("r1", "data/blob.bin", tmp);
            assertEquals("0101", Files.readString(got));
            assertEquals(tmp.resolve("blob.bin"), got);
        }
        assertEquals(List.of("GET " + ROOT + "/data/blob.bin"), artifactRequests());
    }

    @Test
    void aFolderIsTriedOnceThenListedThenItsFilesFetched(@TempDir Path tmp) throws Exception {
        store.put("model/MLmodel", "flavors: {}");
        store.put("model/conda.yaml", "name: x");
        try (MlflowRestClient client = client()) {
            Path got = client.artifacts().download("r1", "model", tmp);
            assertEquals(tmp.resolve("model"), got);
            assertEquals("flavors: {}", Files.readString(got.resolve("MLmodel")));
            assertEquals("name: x", Files.readString(got.resolve("conda.yaml")));
        }
        assertEquals(List.of("GET " + ROOT + "/model", "LIST " + ROOT + "/model",
                "GET " + ROOT + "/model/MLmodel", "GET " + ROOT + "/model/conda.yaml"), artifactRequests());
        assertEquals(List.of("model/MLmodel", "model/conda.yaml"), localFiles(tmp));
    }

    @Test
    void nestedFoldersAreListedWithoutTryingThemAsFiles(@TempDir Path tmp) throws Exception {
        store.put("model/MLmodel", "flavors: {}");
        store.put("model/sub/weights.bin", "0101");
        store.put("model/sub/deeper/x.txt", "x");
        try (MlflowRestClient client = client()) {
            Path got = client.artifacts().download("r1", "model", tmp);
            assertEquals("0101", Files.readString(got.resolve("sub/weights.bin")));
            assertEquals("x", Files.readString(got.resolve("sub/deeper/x.txt")));
        }
        assertEquals(List.of("GET " + ROOT + "/model", "LIST " + ROOT + "/model",
                "GET " + ROOT + "/model/MLmodel", "LIST " + ROOT + "/model/sub",
                "LIST " + ROOT + "/model/sub/deeper", "GET " + ROOT + "/model/sub/deeper/x.txt",
                "GET " + ROOT + "/model/sub/weights.bin"), artifactRequests());
        assertEquals(List.of("model/MLmodel", "model/sub/deeper/x.txt", "model/sub/weights.bin"), localFiles(tmp));
    }

    @Test
    void theRootIsAlwaysListedAsAFolder(@TempDir Path tmp) throws Exception {
        store.put("notes.txt", "n");
        store.put("model/MLmodel", "m");
        try (MlflowRestClient client = client()) {
            Path got = client.artifacts().download("r1", null, tmp);
            assertEquals(tmp.resolve("artifacts"), got);
            Path again = client.artifacts().download("r1", "", tmp.resolve("second"));
            assertEquals("m", Files.readString(again.resolve("model/MLmodel")));
        }
        List<String> once = List.of("LIST " + ROOT, "LIST " + ROOT + "/model", "GET " + ROOT + "/model/MLmodel",
                "GET " + ROOT + "/notes.txt");
        assertEquals(Stream.concat(once.stream(), once.stream()).toList(), artifactRequests());
        assertEquals(List.of("model/MLmodel", "notes.txt"), localFiles(tmp.resolve("artifacts")));
    }

    @Test
    void aMissingPathRethrowsNotFoundAndWritesNothing(@TempDir Path tmp) throws Exception {
        store.put("notes.txt", "n");
        Path out = tmp.resolve("out");
        try (MlflowRestClient client = client()) {
            ResourceDoesNotExistError e = assertThrows(ResourceDoesNotExistError.class,
                    () -> client.artifacts().download("r1", "missing.txt", out));
            assertEquals(404, e.httpStatus());
            assertEquals("RESOURCE_DOES_NOT_EXIST", e.errorCode());
            assertEquals("GET", e.method());
            assertEquals(FILES + "/" + ROOT + "/missing.txt", e.path());
        }
        assertEquals(List.of("GET " + ROOT + "/missing.txt", "LIST " + ROOT + "/missing.txt"), artifactRequests());
        assertFalse(Files.exists(out), "nothing written for a missing path");
    }

    @Test
    void aReplacedFileNeverShowsAHalfWrittenPart(@TempDir Path tmp) throws Exception {
        store.put("notes.txt", "new content");
        Files.writeString(tmp.resolve("notes.txt"), "old");
        try (MlflowRestClient client = client()) {
            client.artifacts().download("r1", "notes.txt", tmp);
        }
        assertEquals("new content", Files.readString(tmp.resolve("notes.txt")));
        assertEquals(List.of("notes.txt"), localFiles(tmp));
    }

    private MlflowRestClient client() {
        return MlflowRestClient.create(stub.config().build());
    }

    /** The artifact requests after the run lookup, as "GET path" or "LIST path" (storage paths). */
    private List<String> artifactRequests() {
        return stub.requests.stream().map(r -> decode(r.uri())).filter(u -> u.startsWith(FILES))
                .map(u -> u.startsWith(FILES + "?path=") ? "LIST " + u.substring((FILES + "?path=").length())
                        : "GET " + u.substring(FILES.length() + 1))
                .toList();
    }

    /** Every regular file under {@code dir}, relative and sorted. */
    private static List<String> localFiles(Path dir) throws Exception {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    private static String decode(String uri) {
        return URLDecoder.decode(uri, StandardCharsets.UTF_8);
    }

    /** MLflow 3.17.2's answers: runs/get, file bytes, 400 for a folder, 404 for a missing path, listings. */
    private Answer answer(StubServer.Request request) {
        String uri = decode(request.uri());
        if (uri.startsWith("/api/2.0/mlflow/runs/get")) {
            return Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r1\",\"artifact_uri\":\"mlflow-artifacts:/" + ROOT
                    + "\"}}}");
        }
        assertEquals("GET", request.method());
        if (uri.startsWith(FILES + "?path=")) {
            String dir = relative(uri.substring((FILES + "?path=").length()));
            String prefix = dir.isEmpty() ? "" : dir + "/";
            Map<String, Boolean> children = new TreeMap<>();
            store.keySet().stream().filter(k -> k.startsWith(prefix)).map(k -> k.substring(prefix.length()))
                    .forEach(rest -> children.put(rest.split("/")[0], rest.contains("/")));
            String files = children.entrySet().stream()
                    .map(c -> c.getValue() ? "{\"path\":\"" + c.getKey() + "\",\"is_dir\":true}"
                            : "{\"path\":\"" + c.getKey() + "\",\"is_dir\":false,\"file_size\":"
                                    + store.get(prefix + c.getKey()).length() + "}")
                    .collect(Collectors.joining(","));
            return Answer.json(200, children.isEmpty() ? "{}" : "{\"files\":[" + files + "]}");
        }
        String path = relative(uri.substring(FILES.length() + 1));
        if (store.containsKey(path)) {
            return Answer.text(200, "application/octet-stream", store.get(path));
        }
        if (store.keySet().stream().anyMatch(k -> k.startsWith(path + "/"))) {
            return Answer.json(400, "{\"detail\":\"Artifact path refers to a directory, not a file: " + path + "\"}");
        }
        return Answer.json(404, "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"File not found: " + path
                + "\"}");
    }

    private static String relative(String storagePath) {
        assertTrue(storagePath.startsWith(ROOT), storagePath);
        String rest = storagePath.substring(ROOT.length());
        return rest.startsWith("/") ? rest.substring(1) : rest;
    }
}
