package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.Service.FileInfo;
import org.mlflow.api.proto.Service.RunInfo;

class ArtifactsIntegrationTest {
    @Test
    void uploadListDownloadDeleteFilesAndDirectories(@TempDir Path tmp) throws IOException {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("art"));
            String runId = client.runs().create(exp).getInfo().getRunId();
            Path file = Files.writeString(tmp.resolve("notes.txt"), "hello artifacts");
            Path dir = Files.createDirectories(tmp.resolve("model/sub"));
            Files.writeString(tmp.resolve("model/MLmodel"), "flavors: {}");
            Files.writeString(dir.resolve("weights.bin"), "0101");

            client.artifacts().upload(runId, file);
            client.artifacts().upload(runId, tmp.resolve("model"), "model");
            List<String> root = client.artifacts().list(runId).stream().map(FileInfo::getPath).sorted().toList();
            assertEquals(List.of("model", "notes.txt"), root);
            List<FileInfo> model = client.artifacts().list(runId, "model");
            assertTrue(model.stream().anyMatch(f -> f.getPath().equals("model/sub") && f.getIsDir()));
            assertTrue(model.stream().anyMatch(f -> f.getPath().equals("model/MLmodel") && f.getFileSize() == 11));

            Path out = Files.createDirectories(tmp.resolve("out"));
            Path notes = client.artifacts().download(runId, "notes.txt", out);
            assertEquals("hello artifacts", Files.readString(notes));
            Path modelDir = client.artifacts().download(runId, "model", out);
            assertEquals("0101", Files.readString(modelDir.resolve("sub/weights.bin")));

            client.artifacts().delete(runId, "notes.txt");
            assertEquals(List.of("model"), client.artifacts().list(runId).stream().map(FileInfo::getPath).toList());
        }
    }

    /** One GET for a file; a missing path answers 404, lists empty, and the typed error comes back. */
    @Test
    void missingPathRaisesNotFoundAndWritesNothing(@TempDir Path tmp) throws IOException {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("miss"));
            String runId = client.runs().create(exp).getInfo().getRunId();
            client.artifacts().upload(runId, Files.writeString(tmp.resolve("a.txt"), "a"));
            Path out = tmp.resolve("out");
            ResourceDoesNotExistError e = assertThrows(ResourceDoesNotExistError.class,
                    () -> client.artifacts().download(runId, "nope/missing.txt", out));
            assertEquals(404, e.httpStatus());
            assertFalse(Files.exists(out));
            Path root = client.artifacts().download(runId, null, out);
            assertEquals("a", Files.readString(root.resolve("a.txt")));
        }
    }

    /** 64 MB through a JVM whose tests run with the default heap: streamed, checked by digest. */
    @Test
    void largeFilesStreamBothWays(@TempDir Path tmp) throws Exception {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("big"));
            String runId = client.runs().create(exp).getInfo().getRunId();
            Path big = tmp.resolve("big.bin");
            byte[] chunk = new byte[1 << 20];
            new Random(42).nextBytes(chunk);
            try (OutputStream out = Files.newOutputStream(big)) {
                for (int i = 0; i < 64; i++) {
                    out.write(chunk);
                }
            }
            client.artifacts().upload(runId, big, "data");
            Path back = client.artifacts().download(runId, "data/big.bin", Files.createDirectories(tmp.resolve("b")));
            assertEquals(Files.size(big), Files.size(back));
            assertArrayEquals(sha256(big), sha256(back));
        }
    }

    @Test
    void modelVersionFilesDownloadWithoutPython(@TempDir Path tmp) throws IOException {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("mvdl"));
            RunInfo run = client.runs().create(exp).getInfo();
            Files.createDirectories(tmp.resolve("m"));
            Files.writeString(tmp.resolve("m/MLmodel"), "flavors: {}");
            client.artifacts().upload(run.getRunId(), tmp.resolve("m"), "model");
            String name = LiveServer.unique("dl");
            client.registeredModels().create(name);
            client.modelVersions().create(name, run.getArtifactUri() + "/model", run.getRunId());
            Path local = client.artifacts().downloadModelVersion(name, "1", tmp.resolve("out"));
            assertEquals("flavors: {}", Files.readString(local.resolve("MLmodel")));
        }
    }

    private static byte[] sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return digest.digest();
    }
}
