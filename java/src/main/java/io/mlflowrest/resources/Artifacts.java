package io.mlflowrest.resources;

import io.mlflowrest.errors.InvalidParameterValueError;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.internal.PathSegments;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.RetryGuard;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import io.mlflowrest.generated.Routes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * {@code client.artifacts()}: run artifacts through the server's proxied mlflow-artifacts
 * endpoints (docs/design.md), where the official client starts a Python process. Uploads and
 * downloads stream between disk and socket, so a multi-GB file never sits in the heap.
 */
public final class Artifacts {
    private static final String SCHEME = "mlflow-artifacts:";

    private final Transport transport;
    private final Runs runs;
    private final ModelVersions modelVersions;
    // A run's artifact_uri never changes: one runs/get per run is enough.
    private final Map<String, String> rootByRun = new ConcurrentHashMap<>();

    public Artifacts(Transport transport, Runs runs, ModelVersions modelVersions) {
        this.transport = transport;
        this.runs = runs;
        this.modelVersions = modelVersions;
    }

    /** Uploads a file, or a directory with everything under it, to the run's artifact root. */
    public void upload(String runId, Path local) {
        upload(runId, local, null);
    }

    /** Uploads a file or directory under {@code artifactPath} (null: the root) of the run. */
    public void upload(String runId, Path local, String artifactPath) {
        uploadToUri(runArtifactUri(runId), local, artifactPath);
    }

    /** Uploads under an mlflow-artifacts URI (a run's, a logged model's). */
    public void uploadToUri(String artifactUri, Path local, String artifactPath) {
        String base = join(storagePath(artifactUri), artifactPath);
        if (Files.isDirectory(local)) {
            try (Stream<Path> files = Files.walk(local)) {
                for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    String relative = local.relativize(file).toString().replace('\\', '/');
                    put(join(base, relative), file);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + local, e);
            }
        } else if (Files.isRegularFile(local)) {
            put(join(base, local.getFileName().toString()), local);
        } else {
            throw InvalidParameterValueError.clientSide("local", "an existing file or folder", local + " is neither a file nor a directory");
        }
    }

    /** The entries directly under {@code artifactPath} (null: the root), paths relative to the root. */
    public List<FileInfo> list(String runId, String artifactPath) {
        return listUri(runArtifactUri(runId), artifactPath);
    }

    public List<FileInfo> list(String runId) {
        return list(runId, null);
    }

    public List<FileInfo> listUri(String artifactUri, String artifactPath) {
        String dir = join(storagePath(artifactUri), artifactPath);
        JsonNode json = transport.call(Routes.MLFLOW_ARTIFACTS_LIST, Query.of().with("path", dir), null);
        List<FileInfo> entries = new ArrayList<>();
        for (JsonNode f : json.path("files")) {
            FileInfo.Builder info = FileInfo.newBuilder().setPath(join(artifactPath, f.path("path").asText()))
                    .setIsDir(f.path("is_dir").asBoolean(false));
            if (f.has("file_size")) {
                info.setFileSize(f.path("file_size").asLong());
            }
            entries.add(info.build());
        }
        return entries;
    }

    /** Downloads a file or a whole directory of the run into {@code destination}; returns the local path. */
    public Path download(String runId, String artifactPath, Path destination) {
        return downloadUri(join(runArtifactUri(runId), artifactPath), destination);
    }

    /** Downloads the files of a model version (its download URI) into {@code destination}. */
    public Path downloadModelVersion(String name, String version, Path destination) {
        return downloadUri(modelVersions.getDownloadUri(name, version), destination);
    }

    /** Downloads what an mlflow-artifacts:/ or runs:/ URI points at into {@code destination}. */
    public Path downloadUri(String artifactUri, Path destination) {
        String remote = storagePath(artifactUri);
        String name = remote.isEmpty() ? "artifacts" : remote.substring(remote.lastIndexOf('/') + 1);
        Path target = destination.resolve(name);
        List<FileInfo> children = listUri(artifactUri, null);
        try {
            if (children.isEmpty()) {
                Files.createDirectories(destination);
                fetch(remote, target);
            } else {
                downloadTree(artifactUri, null, target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write under " + destination, e);
        }
        return target;
    }

    private void downloadTree(String artifactUri, String relative, Path target) throws IOException {
        Files.createDirectories(target);
        for (FileInfo entry : listUri(artifactUri, relative)) {
            String name = entry.getPath().substring(entry.getPath().lastIndexOf('/') + 1);
            if (entry.getIsDir()) {
                downloadTree(artifactUri, entry.getPath(), target.resolve(name));
            } else {
                fetch(join(storagePath(artifactUri), entry.getPath()), target.resolve(name));
            }
        }
    }

    /** Deletes a file or directory of the run's artifacts. */
    public void delete(String runId, String artifactPath) {
        Validation.required("artifact_path", artifactPath);
        String path = join(storagePath(runArtifactUri(runId)), artifactPath);
        transport.json("DELETE", route(Routes.MLFLOW_ARTIFACTS_DELETE.template(), path), Query.of(), null,
                RetryGuard.NONE);
    }

    /** The run's artifact_uri, e.g. {@code mlflow-artifacts:/1/<run id>/artifacts}. */
    public String runArtifactUri(String runId) {
        return rootByRun.computeIfAbsent(runId, id -> runs.get(id).getInfo().getArtifactUri());
    }

    private void put(String remote, Path file) {
        try {
            transport.json("PUT", route(Routes.MLFLOW_ARTIFACTS_UPLOAD.template(), remote), Query.of(),
                    RequestBody.file(file), RetryGuard.NONE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Streams one remote file to a temporary sibling, then moves it into place. */
    private void fetch(String remote, Path target) throws IOException {
        String path = route(Routes.MLFLOW_ARTIFACTS_DOWNLOAD.template(), remote);
        Path partial = target.resolveSibling(target.getFileName() + ".part");
        try (RawResponse response = transport.stream("GET", path, Query.of()); InputStream in = response.body()) {
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(partial);
            throw new TransportError("download broke off: " + e, "GET", path, e);
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String route(String template, String remote) {
        return template.replace("{artifact_path}", PathSegments.encodePath(remote));
    }

    /**
     * The path the proxy stores under: the URI without {@code mlflow-artifacts:} and its
     * optional {@code //host:port}; {@code runs:/<id>/path} is resolved through the run.
     */
    private String storagePath(String artifactUri) {
        if (artifactUri.startsWith("runs:/")) {
            String rest = artifactUri.substring("runs:/".length());
            int slash = rest.indexOf('/');
            String runId = slash < 0 ? rest : rest.substring(0, slash);
            return join(storagePath(runArtifactUri(runId)), slash < 0 ? null : rest.substring(slash + 1));
        }
        if (!artifactUri.startsWith(SCHEME)) {
            throw new MlflowError("artifact URI " + artifactUri + " is not served by the tracking server; mlflowrest"
                    + " reads and writes artifacts through `mlflow server --serve-artifacts` (mlflow-artifacts:/ URIs)");
        }
        String rest = artifactUri.substring(SCHEME.length());
        if (rest.startsWith("//")) {
            int slash = rest.indexOf('/', 2);
            rest = slash < 0 ? "" : rest.substring(slash);
        }
        return trimSlashes(rest);
    }

    private static String join(String base, String relative) {
        String r = relative == null ? "" : trimSlashes(relative);
        String b = base == null ? "" : trimSlashes(base);
        return b.isEmpty() ? r : r.isEmpty() ? b : b + "/" + r;
    }

    private static String trimSlashes(String path) {
        int start = 0;
        int end = path.length();
        while (start < end && path.charAt(start) == '/') {
            start++;
        }
        while (end > start && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(start, end);
    }
}
