package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.internal.RetryPolicy;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.artifacts.DatabricksRepository;
import io.mlflowrest.internal.artifacts.Parts;
import io.mlflowrest.internal.artifacts.StoreHttp;
import io.mlflowrest.unit.StubServer.Answer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * dbfs:/databricks/mlflow-tracking/... through a stub of Databricks' artifact credential API
 * whose signed URLs point back at the stub: the credential calls, the headers that come with
 * each credential, listing, and a presigned multipart upload with one expired part URL.
 */
class DatabricksArtifactsTest {
    @TempDir
    Path tmp;
    private StubServer stub;
    private final Map<String, String> stored = new ConcurrentHashMap<>();
    private final AtomicInteger expiredOnce = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        stub = new StubServer().otherwise(this::route);
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    private String credential(String path, String type) {
        return "{\"run_id\":\"r1\",\"path\":\"" + path + "\",\"type\":\"" + type + "\",\"signed_uri\":\"" + stub.url()
                + "/bucket/" + path + "?X-Amz-Signature=s3cr3t\",\"headers\":[{\"name\":\"x-amz-meta-origin\",\"value\":\"mlflowrest\"}]}";
    }

    private static String pathOf(String json) {
        int i = json.indexOf("\"path\":[\"");
        return json.substring(i + 9, json.indexOf('"', i + 9));
    }

    private Answer route(StubServer.Request r) {
        String u = r.uri();
        if (u.startsWith("/api/2.0/mlflow/runs/get")) {
            return Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r1\",\"artifact_uri\":\"dbfs:/databricks/mlflow-tracking/7/r1/artifacts\"}}}");
        }
        if (u.startsWith("/api/2.0/mlflow/artifacts/credentials-for-")) {
            return Answer.json(200, "{\"credential_infos\":[" + credential(pathOf(r.body()), "AWS_PRESIGNED_URL") + "]}");
        }
        if (u.startsWith("/api/2.0/mlflow/artifacts/list")) {
            // as Databricks answers: a folder's entries, or a file's own entry when the path is a file
            return u.endsWith("path=m") ? Answer.json(200, "{\"files\":[{\"path\":\"m/a.txt\",\"is_dir\":false,\"file_size\":3},"
                    + "{\"path\":\"m/sub\",\"is_dir\":true}]}")
                    : Answer.json(200, "{\"files\":[{\"path\":\"figures/plot.png\",\"is_dir\":false,\"file_size\":9}]}");
        }
        if (u.startsWith("/api/2.0/mlflow/artifacts/create-multipart-upload")) {
            return Answer.json(200, "{\"upload_id\":\"U1\",\"upload_credential_infos\":[" + credential("big.txt-part1", "AWS_PRESIGNED_URL")
                    + "," + credential("big.txt-part2", "AWS_PRESIGNED_URL") + "," + credential("big.txt-part3", "AWS_PRESIGNED_URL") + "]}");
        }
        if (u.startsWith("/api/2.0/mlflow/artifacts/get-presigned-upload-part-url")) {
            return Answer.json(200, "{\"upload_credential_info\":" + credential("big.txt-part2-fresh", "AWS_PRESIGNED_URL") + "}");
        }
        if (u.startsWith("/api/2.0/mlflow/artifacts/complete-multipart-upload")) {
            return Answer.json(200, "{}");
        }
        if (u.startsWith("/bucket/") && r.method().equals("PUT")) {
            if (u.contains("part2") && !u.contains("fresh") && expiredOnce.getAndIncrement() == 0) {
                return Answer.text(403, "application/xml", "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
            }
            stored.put(u.substring(0, u.indexOf('?')), r.body());
            return Answer.text(200, "text/plain", "").withHeader("ETag", "\"etag-" + stored.size() + "\"");
        }
        if (u.startsWith("/bucket/") && r.method().equals("GET")) {
            String body = stored.get(u.substring(0, u.indexOf('?')));
            return body == null ? Answer.text(404, "application/xml", "<Error><Code>NoSuchKey</Code></Error>")
                    : Answer.text(200, "application/octet-stream", body);
        }
        return Answer.json(404, "{\"error_code\":\"ENDPOINT_NOT_FOUND\",\"message\":\"" + u + "\"}");
    }

    @Test
    void uploadDownloadAndListThroughSignedUrls() throws IOException {
        try (MlflowRestClient client = MlflowRestClient.create(stub.config().token("dapi-secret").build())) {
            Path f = Files.writeString(tmp.resolve("plot.png"), "png bytes");
            client.artifacts().upload("r1", f, "figures");
            assertEquals("png bytes", stored.get("/bucket/figures/plot.png"));
            StubServer.Request put = stub.requests.stream().filter(q -> q.uri().startsWith("/bucket/")).findFirst().orElseThrow();
            assertEquals("mlflowrest", put.header("X-amz-meta-origin"));
            assertEquals(null, put.header("Authorization"), "the tracking token never goes to the storage URL");
            StubServer.Request cred = stub.requests.stream().filter(q -> q.uri().contains("credentials-for-write")).findFirst().orElseThrow();
            assertEquals("Bearer dapi-secret", cred.header("Authorization"));

            Path got = client.artifacts().download("r1", "figures/plot.png", tmp.resolve("out"));
            assertEquals("png bytes", Files.readString(got));
            List<FileInfo> listed = client.artifacts().list("r1", "m");
            assertEquals(List.of("m/a.txt", "m/sub"), listed.stream().map(FileInfo::getPath).toList());
            assertTrue(stub.requests.stream().anyMatch(q -> q.uri().equals("/api/2.0/mlflow/artifacts/list?run_id=r1&path=m")));
            io.mlflowrest.errors.MlflowError noDelete = org.junit.jupiter.api.Assertions.assertThrows(io.mlflowrest.errors.MlflowError.class,
                    () -> client.artifacts().delete("r1", "figures/plot.png"));
            assertTrue(noDelete.getMessage().contains("no delete"), noDelete.getMessage());
        }
    }

    @Test
    void largeFileIsAPresignedMultipartUploadAndRenewsAnExpiredPart() throws IOException {
        ClientConfig config = stub.config().build();
        try (Transport transport = new Transport(config);
             StoreHttp http = new StoreHttp(new RetryPolicy(2, 0, 0), d -> { }, 5000, false)) {
            DatabricksRepository repo = new DatabricksRepository("dbfs:/databricks/mlflow-tracking/7/r1/artifacts", transport, http,
                    new Parts(100, 50));
            Path f = Files.writeString(tmp.resolve("big.txt"), "a".repeat(50) + "b".repeat(50) + "c".repeat(20));
            repo.upload(f, "big.txt");
        }
        assertEquals("a".repeat(50) + "b".repeat(50) + "c".repeat(20), collectParts());
        StubServer.Request complete = stub.requests.stream().filter(q -> q.uri().contains("complete-multipart-upload")).findFirst().orElseThrow();
        assertTrue(complete.body().contains("\"upload_id\":\"U1\"") && complete.body().contains("\"part_number\":3"), complete.body());
        assertTrue(stub.requests.stream().anyMatch(q -> q.uri().contains("get-presigned-upload-part-url") && q.uri().contains("part_number=2")));
        StubServer.Request create = stub.requests.stream().filter(q -> q.uri().contains("create-multipart-upload")).findFirst().orElseThrow();
        assertTrue(create.body().contains("\"num_parts\":3"), create.body());
        assertFalse(stub.requests.stream().anyMatch(q -> q.method().equals("DELETE")));
    }

    private String collectParts() {
        return stored.get("/bucket/big.txt-part1") + stored.get("/bucket/big.txt-part2-fresh") + stored.get("/bucket/big.txt-part3");
    }
}
