package io.mlflowrest.resources;

import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.internal.Validation;
import io.mlflowrest.internal.artifacts.ArtifactNames;
import io.mlflowrest.internal.artifacts.ArtifactRepositories;
import io.mlflowrest.internal.artifacts.ArtifactRepository;
import io.mlflowrest.internal.artifacts.RepoPaths;
import io.mlflowrest.internal.journal.Journal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * {@code client.artifacts()}: run and model artifacts wherever the server keeps them: its
 * proxied store ({@code mlflow-artifacts:}), S3, Azure Blob, a shared path or Databricks,
 * chosen by the scheme of the run's (or logged model's) artifact URI (docs/design.md), with
 * no Python. Uploads and downloads stream between disk and socket; a multi-GB file never sits
 * in the heap.
 */
public final class Artifacts {
    private final ArtifactLocations locations;
    private final ArtifactRepositories repositories;
    private final Journal journal;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.artifacts()}.
     *
     * @param runs resolves a run's artifact URI
     * @param registeredModels resolves {@code models:/<name>@<alias>}
     * @param modelVersions resolves {@code models:/<name>/<version>}
     * @param loggedModels resolves {@code models:/m-<id>}
     * @param operations the client's operation layer: the artifact stores send through its transport and
     *     close with it; their credentials come from its configuration and the environment
     */
    public Artifacts(Runs runs, RegisteredModels registeredModels, ModelVersions modelVersions, LoggedModels loggedModels,
                     RawOperations operations) {
        this.locations = new ArtifactLocations(runs, registeredModels, modelVersions, loggedModels);
        this.repositories = new ArtifactRepositories(operations.transport(), operations.config(), System.getenv(),
                java.nio.file.Path.of(System.getProperty("user.home")));
        operations.own(repositories);
        this.journal = operations.journal();
    }

    /**
     * Uploads a file, or a directory with everything under it, to the run's artifact root.
     *
     * @param runId the run's id
     * @param local the file or directory to upload
     */
    public void upload(String runId, Path local) {
        upload(runId, local, null);
    }

    /**
     * Uploads a file, or what is inside a directory (subfolders kept), under {@code artifactPath} (null: the
     * root).
     *
     * @param runId the run's id
     * @param local the file or directory to upload
     * @param artifactPath a folder below the artifact root, e.g. {@code plots}; null for the root
     */
    public void upload(String runId, Path local, String artifactPath) {
        if (journal != null && journal.offline()) {
            ArtifactNames.check("artifact_path", artifactPath);
            journal.artifact(runId, local, artifactPath);
            return;
        }
        uploadToUri(runArtifactUri(runId), local, artifactPath);
    }

    /**
     * Uploads what is inside {@code localDir}, subfolders kept, under {@code artifactPath} (null: the root).
     *
     * @param runId the run's id
     * @param localDir the directory whose contents are uploaded
     * @param artifactPath a folder below the artifact root, e.g. {@code plots}; null for the root
     */
    public void uploadContents(String runId, Path localDir, String artifactPath) {
        if (!Files.isDirectory(localDir)) {
            throw InvalidParameterValueError.clientSide("local_dir", "an existing folder", localDir + " is not a directory");
        }
        if (journal != null && journal.offline()) {
            ArtifactNames.check("artifact_path", artifactPath);
            journal.artifact(runId, localDir, artifactPath);
            return;
        }
        uploadTree(repositories.forUri(runArtifactUri(runId)), localDir, artifactPath);
    }

    /**
     * Uploads under an artifact URI (a run's, a logged model's; runs:/ and models:/ resolved).
     * A folder's tree is kept below {@code artifactPath}: {@code dir/train/a.csv} becomes
     * {@code <artifactPath>/train/a.csv}.
     *
     * @param artifactUri the root to upload under, e.g. a logged model's artifact URI
     * @param local the file or directory to upload
     * @param artifactPath a folder below that root; null for the root
     */
    public void uploadToUri(String artifactUri, Path local, String artifactPath) {
        ArtifactNames.check("artifact_path", artifactPath);
        ArtifactRepository repo = repositories.forUri(locations.resolve(artifactUri));
        if (Files.isDirectory(local)) {
            uploadTree(repo, local, artifactPath);
        } else if (Files.isRegularFile(local)) {
            String name = local.getFileName().toString();
            ArtifactNames.check("local_path", name);
            repo.upload(local, RepoPaths.join(artifactPath, name));
        } else {
            throw InvalidParameterValueError.clientSide("local", "an existing file or folder", local + " is neither a file nor a directory");
        }
    }

    /**
     * Every name is checked before the first upload, so a bad one stores nothing; a failure
     * on the way says which file failed and how many were stored before it.
     */
    private void uploadTree(ArtifactRepository repo, Path dir, String artifactPath) {
        ArtifactNames.check("artifact_path", artifactPath);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
        List<String> names = new ArrayList<>(files.size());
        for (Path file : files) {
            String relative = dir.relativize(file).toString().replace(java.io.File.separatorChar, '/');
            ArtifactNames.check("local_path", relative);
            names.add(relative);
        }
        for (int i = 0; i < files.size(); i++) {
            try {
                repo.upload(files.get(i), RepoPaths.join(artifactPath, names.get(i)));
            } catch (MlflowError e) {
                e.addNote("uploading " + files.get(i) + " failed; " + i + " of " + files.size()
                        + " files of " + dir + " were stored before it" + (i == 0 ? "" : " (up to " + names.get(i - 1) + ")"));
                throw e;
            }
        }
    }

    /**
     * The entries directly under {@code artifactPath} (null: the root), paths relative to the root.
     *
     * @param runId the run's id
     * @param artifactPath a folder below the artifact root, e.g. {@code plots}; null for the root
     * @return files (with their sizes in bytes) and folders; empty when there is nothing there
     */
    public List<FileInfo> list(String runId, String artifactPath) {
        return listUri(runArtifactUri(runId), artifactPath);
    }

    /**
     * The entries at the root of the run's artifacts.
     *
     * @param runId the run's id
     * @return files (with their sizes in bytes) and folders
     */
    public List<FileInfo> list(String runId) {
        return list(runId, null);
    }

    /**
     * The entries under an artifact URI's {@code artifactPath}, paths relative to the URI.
     *
     * @param artifactUri the root to list under
     * @param artifactPath a folder below that root; null for the root
     * @return files (with their sizes in bytes) and folders
     */
    public List<FileInfo> listUri(String artifactUri, String artifactPath) {
        return repositories.forUri(locations.resolve(artifactUri)).list(RepoPaths.trim(artifactPath == null ? "" : artifactPath));
    }

    /**
     * Downloads a file or a whole directory of the run into {@code destination}; returns the local path.
     * A null or empty {@code artifactPath} means the run's root, always a folder.
     *
     * @param runId the run's id
     * @param artifactPath the file or folder below the artifact root
     * @param destination the local folder to write into; made when missing
     * @return the downloaded file or folder
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is nothing at that path
     */
    public Path download(String runId, String artifactPath, Path destination) {
        String root = runArtifactUri(runId);
        if (artifactPath == null || RepoPaths.trim(artifactPath).isEmpty()) {
            return downloadFolder(repositories.forUri(root), "artifacts", destination);
        }
        return downloadUri(RepoPaths.joinUri(root, artifactPath), destination);
    }

    /**
     * Downloads the files of a model version into {@code destination}, following its source.
     *
     * @param name the registered model's name
     * @param version the version number
     * @param destination the local folder to write into; made when missing
     * @return the folder holding the version's files
     */
    public Path downloadModelVersion(String name, String version, Path destination) {
        return downloadUri("models:/" + name + "/" + version, destination);
    }

    /**
     * Downloads what a URI points at into {@code destination}: {@code runs:/<run>/<path>},
     * {@code models:/<name>/<version>}, {@code models:/<name>@<alias>}, {@code models:/<name>/<stage>},
     * {@code models:/m-<id>}, or a storage URI (s3://, mlflow-artifacts:/, ...). Returns the local path.
     *
     * @param uri one of the forms above
     * @param destination the local folder to write into; made when missing
     * @return the downloaded file or folder
     */
    public Path download(URI uri, Path destination) {
        return downloadUri(uri.toString(), destination);
    }

    /**
     * As {@link #download(URI, Path)}. On the proxied server a file costs one GET
     * (docs/design.md); only when that fails is the path listed, and downloaded as a folder
     * when the listing has entries (an empty listing rethrows the GET's error, e.g. not found).
     * On object stores the path is listed first (see ArtifactRepository#refusesFolderDownloads).
     *
     * @param artifactUri one of the forms {@link #download(URI, Path)} takes
     * @param destination the local folder to write into; made when missing
     * @return the downloaded file or folder
     */
    public Path downloadUri(String artifactUri, Path destination) {
        String storage = locations.resolve(artifactUri);
        ArtifactRepository repo = repositories.forUri(storage);
        String name = localName(artifactUri, storage);
        if (isRunRoot(artifactUri) || isModelRoot(artifactUri)) {
            return downloadFolder(repo, name, destination);
        }
        Path target = destination.resolve(name);
        if (!repo.refusesFolderDownloads()) {
            List<FileInfo> entries = repo.list("");
            if (!entries.isEmpty()) {
                downloadTree(repo, entries, target);
                return target;
            }
            repo.download("", target);
            return target;
        }
        try {
            repo.download("", target);
            return target;
        } catch (ApiError notAFile) {
            List<FileInfo> entries;
            try {
                entries = repo.list("");
            } catch (MlflowError listing) {
                notAFile.addSuppressed(listing);
                throw notAFile;
            }
            if (entries.isEmpty()) {
                throw notAFile;
            }
            downloadTree(repo, entries, target);
            return target;
        }
    }

    private Path downloadFolder(ArtifactRepository repo, String name, Path destination) {
        Path target = destination.resolve(name);
        downloadTree(repo, repo.list(""), target);
        return target;
    }

    /** Writes the listed entries under {@code target}; subfolders are listed, never tried as files. */
    private static void downloadTree(ArtifactRepository repo, List<FileInfo> entries, Path target) {
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + target, e);
        }
        for (FileInfo entry : entries) {
            String name = RepoPaths.name(entry.getPath());
            if (entry.getIsDir()) {
                downloadTree(repo, repo.list(entry.getPath()), target.resolve(name));
            } else {
                repo.download(entry.getPath(), target.resolve(name));
            }
        }
    }

    private static String localName(String uri, String storage) {
        String last = RepoPaths.name(storage.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*:/*", ""));
        if (!last.isEmpty() && !isRunRoot(uri)) {
            return last;
        }
        return "artifacts";
    }

    /** A model's files, always a folder: {@code models:/<name>/<version>}, {@code models:/<name>@<alias>}, {@code models:/m-<id>}. */
    private static boolean isModelRoot(String artifactUri) {
        if (!artifactUri.startsWith("models:/")) {
            return false;
        }
        String rest = RepoPaths.trim(artifactUri.substring("models:/".length()));
        return !rest.startsWith("m-") || !rest.contains("/");
    }

    /** {@code runs:/<id>} or {@code runs:/<id>/}: the run's root, a folder. */
    private static boolean isRunRoot(String artifactUri) {
        if (!artifactUri.startsWith("runs:/")) {
            return false;
        }
        String rest = RepoPaths.trim(artifactUri.substring("runs:/".length()));
        return !rest.contains("/");
    }

    /**
     * Deletes a file or directory of the run's artifacts.
     *
     * @param runId the run's id
     * @param artifactPath the file or folder below the artifact root
     */
    public void delete(String runId, String artifactPath) {
        Validation.required("artifact_path", artifactPath);
        ArtifactNames.check("artifact_path", artifactPath);
        repositories.forUri(runArtifactUri(runId)).delete(RepoPaths.trim(artifactPath));
    }

    /**
     * The run's artifact_uri, e.g. {@code mlflow-artifacts:/1/<run id>/artifacts} or {@code s3://bucket/...}.
     *
     * @param runId the run's id
     * @return the URI
     */
    public String runArtifactUri(String runId) {
        return locations.runRoot(runId);
    }
}
