package io.mlflowrest.internal.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.generated.Routes;
import io.mlflowrest.internal.PathSegments;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.RetryGuard;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * {@code mlflow-artifacts:/...}: the tracking server's proxied store ({@code --serve-artifacts}),
 * through the same Transport as every other call.
 */
public final class ProxiedRepository implements ArtifactRepository {
    private final Transport transport;
    private final String base;

    /**
     * {@code base}: the URI without the scheme and its optional {@code //host:port}.
     *
     * @param transport the client's request helper
     * @param base the path below the proxied root
     */
    public ProxiedRepository(Transport transport, String base) {
        this.transport = transport;
        this.base = RepoPaths.trim(base);
    }

    @Override
    public void upload(Path file, String path) {
        try {
            transport.json("PUT", route(Routes.MLFLOW_ARTIFACTS_UPLOAD.template(), RepoPaths.join(base, path)), Query.of(),
                    RequestBody.file(file), RetryGuard.NONE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public List<FileInfo> list(String dir) {
        JsonNode json = transport.call(Routes.MLFLOW_ARTIFACTS_LIST, Query.of().with("path", RepoPaths.join(base, dir)), null);
        List<FileInfo> entries = new ArrayList<>();
        for (JsonNode f : json.path("files")) {
            FileInfo.Builder info = FileInfo.newBuilder().setPath(RepoPaths.join(dir, f.path("path").asText()))
                    .setIsDir(f.path("is_dir").asBoolean(false));
            if (f.has("file_size")) {
                info.setFileSize(f.path("file_size").asLong());
            }
            entries.add(info.build());
        }
        return entries;
    }

    @Override
    public void download(String path, Path target) {
        String route = route(Routes.MLFLOW_ARTIFACTS_DOWNLOAD.template(), RepoPaths.join(base, path));
        RawResponse response = transport.stream("GET", route, Query.of());
        RepoPaths.writeWhole(response.body(), target, "GET", route);
    }

    @Override
    public boolean refusesFolderDownloads() {
        return true;
    }

    @Override
    public void delete(String path) {
        transport.json("DELETE", route(Routes.MLFLOW_ARTIFACTS_DELETE.template(), RepoPaths.join(base, path)), Query.of(),
                null, RetryGuard.NONE);
    }

    private static String route(String template, String remote) {
        return template.replace("{artifact_path}", PathSegments.encodePath(remote));
    }
}
