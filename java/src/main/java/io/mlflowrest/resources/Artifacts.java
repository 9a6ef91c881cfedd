package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.InvalidParameterValueError;
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
        return listStored(join(storagePath(artifactUri), artifactPath), artifactPath);
    }

    /** The entries under the storage path {@code dir}, their paths prefixed with {@code artifactPath}. */
    private List<FileInfo> listStored(String dir, String artifactPath) {
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

    /**
     * Downloads a file or a whole directory of the run into {@code destination}; returns the local path.
     * A null or empty {@code artifactPath} means the run's root, always a folder.
     */
    public Path download(String runId, String artifactPath, Path destination) {
        String root = runArtifactUri(runId);
        if (isRoot(artifactPath)) {
            return downloadFolder(storagePath(root), destination);
        }
        return downloadUri(join(root, artifactPath), destination);
    }

    /** Downloads the files of a model version (its download URI) into {@code destination}. */
    public Path downloadModelVersion(String name, String version, Path destination) {
        return downloadUri(modelVersions.getDownloadUri(name, version), destination);
    }

    /**
     * Downloads what an mlflow-artifacts:/ or runs:/ URI points at into {@code destination}.
     * A file costs one GET, as with a plain HTTP client (docs/design.md); only when the server
     * answers that the path is not a file is it listed, and downloaded as a folder when the
     * listing has entries. An empty listing rethrows the GET's error (e.g. not found).
     */
    public Path downloadUri(String artifactUri, Path destination) {
        String remote = storagePath(artifactUri);
        if (remote.isEmpty() || isRunRoot(artifactUri)) {
            return downloadFolder(remote, destination);
        }
        Path target = destination.resolve(localName(remote));
        try {
            fetch(remote, target);
            return target;
        } catch (ApiError notAFile) {
            // a folder (HTTP 400 "not a file") or a missing path: the listing tells which
            List<FileInfo> entries;
            try {
                entries = listRemote(remote);
            } catch (MlflowError listing) {
                notAFile.addSuppressed(listing);
                throw notAFile;
            }
            if (entries.isEmpty()) {
                throw notAFile;
            }
            try {
                downloadTree(remote, entries, target);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write under " + destination, e);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write under " + destination, e);
        }
    }

    /** Lists {@code remote} and downloads it as a folder into {@code destination}. */
    private Path downloadFolder(String remote, Path destination) {
        Path target = destination.resolve(localName(remote));
        try {
            downloadTree(remote, listRemote(remote), target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write under " + destination, e);
        }
        return target;
    }

    /** Writes the listed {@code entries} of {@code remote} under {@code target}; subfolders are listed, never tried as files. */
    private void downloadTree(String remote, List<FileInfo> entries, Path target) throws IOException {
        Files.createDirectories(target);
        for (FileInfo entry : entries) {
            String name = entry.getPath().substring(entry.getPath().lastIndexOf('/') + 1);
            String child = join(remote, name);
            if (entry.getIsDir()) {
                downloadTree(child, listRemote(child), target.resolve(name));
            } else {
                fetch(child, target.resolve(name));
            }
        }
    }

    /** The entries directly under the storage path {@code remote}, paths as the server gives them. */
    private List<FileInfo> listRemote(String remote) {
        return listStored(remote, null);
    }

    private static String localName(String remote) {
        return remote.isEmpty() ? "artifacts" : remote.substring(remote.lastIndexOf('/') + 1);
    }

    private static boolean isRoot(String artifactPath) {
        return artifactPath == null || trimSlashes(artifactPath).isEmpty();
    }

    /** {@code runs:/<id>} or {@code runs:/<id>/}: the run's root, a folder. */
    private static boolean isRunRoot(String artifactUri) {
        if (!artifactUri.startsWith("runs:/")) {
            return false;
        }
        String rest = artifactUri.substring("runs:/".length());
        int slash = rest.indexOf('/');
        return slash < 0 || trimSlashes(rest.substring(slash + 1)).isEmpty();
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

    /**
     * Streams one remote file to a temporary sibling, then moves it into place. The request
     * goes first: an error answer (a typed {@link ApiError}) leaves nothing on disk.
     */
    private void fetch(String remote, Path target) throws IOException {
        String path = route(Routes.MLFLOW_ARTIFACTS_DOWNLOAD.template(), remote);
        Path partial = target.resolveSibling(target.getFileName() + ".part");
        try (RawResponse response = transport.stream("GET", path, Query.of()); InputStream in = response.body()) {
            Files.createDirectories(target.toAbsolutePath().getParent());
            try {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                Files.deleteIfExists(partial);
                throw new TransportError("download broke off: " + e, "GET", path, e);
            }
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
