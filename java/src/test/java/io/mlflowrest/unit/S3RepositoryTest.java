package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.internal.RetryPolicy;
import io.mlflowrest.internal.artifacts.AwsCredentials;
import io.mlflowrest.internal.artifacts.S3Repository;
import io.mlflowrest.internal.artifacts.StoreHttp;
import io.mlflowrest.unit.StubServer.Answer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.Service.FileInfo;

/** S3 against a stub store: signed headers, path-style URLs, multipart above the threshold, abort on failure, listing. */
class S3RepositoryTest {
    private StubServer stub;
    private StoreHttp http;

    @BeforeEach
    void start() throws IOException {
        stub = new StubServer();
        http = new StoreHttp(new RetryPolicy(2, 0, 0), d -> { }, 5000, false);
    }

    @AfterEach
    void stop() {
        http.close();
        stub.close();
    }

    private S3Repository repo(Map<String, String> extra) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("MLFLOW_S3_ENDPOINT_URL", stub.url(),
                "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "100", "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "50"));
        env.putAll(extra);
        return new S3Repository(URI.create("s3://mlflow/artifacts/1/run%201"), env,
                new AwsCredentials("AKID", "secret", "session", "eu-west-1"), http);
    }

    @Test
    void smallFileIsOneSignedPut(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("a b.txt"), "hello");
        repo(Map.of("MLFLOW_S3_UPLOAD_EXTRA_ARGS", "{\"ServerSideEncryption\": \"AES256\"}")).upload(f, "dir/a b.txt");
        StubServer.Request put = stub.requests.get(0);
        assertEquals("PUT", put.method());
        assertEquals("/mlflow/artifacts/1/run%201/dir/a%20b.txt", put.uri());
        assertEquals("hello", put.body());
        assertTrue(put.header("Authorization").startsWith("AWS4-HMAC-SHA256 Credential=AKID/"), put.header("Authorization"));
        assertTrue(put.header("Authorization").contains("/eu-west-1/s3/aws4_request"));
        assertEquals("UNSIGNED-PAYLOAD", put.header("X-amz-content-sha256"));
        assertEquals("session", put.header("X-amz-security-token"));
        assertEquals("AES256", put.header("X-amz-server-side-encryption"));
    }

    @Test
    void largeFileGoesUpInPartsAndIsCompleted(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("big.txt"), "x".repeat(100) + "y".repeat(30));
        stub.then(Answer.text(200, "application/xml", "<InitiateMultipartUploadResult><UploadId>UP-1</UploadId></InitiateMultipartUploadResult>"))
                .then(Answer.text(200, "text/plain", "").withHeader("ETag", "\"e1\""))
                .then(Answer.text(200, "text/plain", "").withHeader("ETag", "\"e2\""))
                .then(Answer.text(200, "text/plain", "").withHeader("ETag", "\"e3\""))
                .then(Answer.text(200, "application/xml", "<CompleteMultipartUploadResult/>"));
        repo(Map.of()).upload(f, "big.txt");
        List<StubServer.Request> r = stub.requests;
        assertEquals(5, r.size());
        assertEquals("POST /mlflow/artifacts/1/run%201/big.txt?uploads=", r.get(0).method() + " " + r.get(0).uri());
        assertEquals("/mlflow/artifacts/1/run%201/big.txt?partNumber=2&uploadId=UP-1", r.get(2).uri());
        assertEquals(List.of(50, 50, 30), List.of(r.get(1).body().length(), r.get(2).body().length(), r.get(3).body().length()));
        assertEquals("x".repeat(100) + "y".repeat(30), r.get(1).body() + r.get(2).body() + r.get(3).body());
        assertTrue(r.get(4).body().contains("<Part><PartNumber>3</PartNumber><ETag>&quot;e3&quot;</ETag></Part>"), r.get(4).body());
    }

    @Test
    void aRefusedPartAbortsTheUpload(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("big.txt"), "z".repeat(130));
        stub.then(Answer.text(200, "application/xml", "<InitiateMultipartUploadResult><UploadId>UP-2</UploadId></InitiateMultipartUploadResult>"))
                .then(Answer.text(200, "text/plain", "").withHeader("ETag", "\"e1\""))
                .then(Answer.text(400, "application/xml", "<Error><Code>EntityTooSmall</Code></Error>"));
        assertThrows(InvalidParameterValueError.class, () -> repo(Map.of()).upload(f, "big.txt"));
        StubServer.Request last = stub.requests.get(stub.requests.size() - 1);
        assertEquals("DELETE /mlflow/artifacts/1/run%201/big.txt?uploadId=UP-2", last.method() + " " + last.uri());
    }

    @Test
    void listingReadsFilesAndFoldersAcrossPages() {
        stub.then(Answer.text(200, "application/xml", "<ListBucketResult><IsTruncated>true</IsTruncated>"
                        + "<NextContinuationToken>t 2</NextContinuationToken>"
                        + "<Contents><Key>artifacts/1/run 1/m/a.txt</Key><Size>6</Size></Contents></ListBucketResult>"))
                .then(Answer.text(200, "application/xml", "<ListBucketResult><IsTruncated>false</IsTruncated>"
                        + "<CommonPrefixes><Prefix>artifacts/1/run 1/m/sub/</Prefix></CommonPrefixes></ListBucketResult>"));
        List<FileInfo> files = repo(Map.of()).list("m");
        assertEquals(List.of("m/a.txt", "m/sub"), files.stream().map(FileInfo::getPath).toList());
        assertEquals(6, files.get(0).getFileSize());
        assertTrue(files.get(1).getIsDir());
        assertEquals("/mlflow?delimiter=%2F&list-type=2&prefix=artifacts%2F1%2Frun%201%2Fm%2F", stub.requests.get(0).uri());
        assertTrue(stub.requests.get(1).uri().contains("continuation-token=t%202"), stub.requests.get(1).uri());
    }

    @Test
    void missingObjectIsTypedAndLeavesNothing(@TempDir Path tmp) {
        stub.then(Answer.text(404, "application/xml", "<Error><Code>NoSuchKey</Code></Error>"));
        Path target = tmp.resolve("out.txt");
        ResourceDoesNotExistError e = assertThrows(ResourceDoesNotExistError.class, () -> repo(Map.of()).download("nope.txt", target));
        assertTrue(e.getMessage().contains("NoSuchKey"));
        assertEquals("RESOURCE_DOES_NOT_EXIST", e.errorCode());
        assertEquals(false, Files.exists(target));
    }

    @Test
    void downStoreNamesTheHostAndHidesTheQuery() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Exception e = assertThrows(io.mlflowrest.errors.TransportError.class, () -> http.send("GET",
                URI.create("http://127.0.0.1:" + port + "/b/k?X-Amz-Signature=secret"), Map::of, null));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertEquals(false, e.getMessage().contains("secret"), e.getMessage());
    }
}
