package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.internal.RetryPolicy;
import io.mlflowrest.internal.artifacts.AzureBlobRepository;
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

/** Azure Blob against a stub: Shared Key on every request, blocks then a block list above the threshold, paged listing. */
class AzureBlobRepositoryTest {
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

    private AzureBlobRepository repo() {
        return new AzureBlobRepository(URI.create("wasbs://mlflow@acct.blob.core.windows.net/artifacts/1"),
                Map.of("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=a2V5;BlobEndpoint="
                        + stub.url() + "/acct;", "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "100",
                        "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "50"), http);
    }

    @Test
    void smallFileIsOnePutBlob(@TempDir Path tmp) throws IOException {
        repo().upload(Files.writeString(tmp.resolve("m.txt"), "hello"), "model/m.txt");
        StubServer.Request put = stub.requests.get(0);
        assertEquals("PUT /acct/mlflow/artifacts/1/model/m.txt", put.method() + " " + put.uri());
        assertEquals("BlockBlob", put.header("X-ms-blob-type"));
        assertTrue(put.header("Authorization").startsWith("SharedKey acct:"), put.header("Authorization"));
        assertEquals("hello", put.body());
    }

    @Test
    void largeFileGoesUpAsBlocksAndABlockList(@TempDir Path tmp) throws IOException {
        repo().upload(Files.writeString(tmp.resolve("big.txt"), "a".repeat(50) + "b".repeat(50) + "c".repeat(20)), "big.txt");
        List<StubServer.Request> r = stub.requests;
        assertEquals(4, r.size());
        for (int i = 0; i < 3; i++) {
            assertTrue(r.get(i).uri().startsWith("/acct/mlflow/artifacts/1/big.txt?comp=block&blockid="), r.get(i).uri());
            assertTrue(r.get(i).header("Authorization").startsWith("SharedKey acct:"));
        }
        assertEquals("a".repeat(50) + "b".repeat(50) + "c".repeat(20), r.get(0).body() + r.get(1).body() + r.get(2).body());
        assertEquals("/acct/mlflow/artifacts/1/big.txt?comp=blocklist", r.get(3).uri());
        assertEquals(3, r.get(3).body().split("<Latest>", -1).length - 1, r.get(3).body());
    }

    @Test
    void listingFollowsTheMarker() {
        stub.then(Answer.text(200, "application/xml", "<EnumerationResults><Blobs><Blob><Name>artifacts/1/m/a.txt</Name>"
                        + "<Properties><Content-Length>6</Content-Length></Properties></Blob></Blobs><NextMarker>n2</NextMarker></EnumerationResults>"))
                .then(Answer.text(200, "application/xml", "<EnumerationResults><Blobs><BlobPrefix><Name>artifacts/1/m/sub/</Name></BlobPrefix>"
                        + "</Blobs><NextMarker/></EnumerationResults>"));
        List<FileInfo> files = repo().list("m");
        assertEquals(List.of("m/a.txt", "m/sub"), files.stream().map(FileInfo::getPath).toList());
        assertEquals(6, files.get(0).getFileSize());
        assertTrue(stub.requests.get(1).uri().contains("marker=n2"), stub.requests.get(1).uri());
    }
}
