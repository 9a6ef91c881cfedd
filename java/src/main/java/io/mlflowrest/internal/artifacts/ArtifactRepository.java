package io.mlflowrest.internal.artifacts;

import java.nio.file.Path;
import java.util.List;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * Where one artifact URI's files live (the proxied server, S3, Azure Blob, a shared path,
 * Databricks). Paths are relative to the URI the repository was made for, '/'-separated,
 * without leading or trailing slashes; "" is the root. Bodies are streamed, never held whole.
 */
public interface ArtifactRepository {
    /**
     * Stores one local file at {@code path}.
     *
     * @param file the local file
     * @param path where it goes
     */
    void upload(Path file, String path);

    /**
     * The entries directly under folder {@code dir}, paths relative to the root; empty when there are none.
     *
     * @param dir the folder, "" for the root
     * @return the entries
     */
    List<FileInfo> list(String dir);

    /**
     * Streams the file at {@code path} to {@code target} (written whole or not at all); a typed
     * {@code ApiError} (e.g. ResourceDoesNotExistError) when no file is there.
     *
     * @param path the file
     * @param target the local file to write
     */
    void download(String path, Path target);

    /**
     * Whether a GET of a folder fails (the proxied server answers "not a file"; a local path
     * is checked). Object stores may instead answer a folder's zero-byte marker as an empty
     * file (s3proxy does), so for them a path is listed before it is fetched.
     *
     * @return true when a folder's GET fails, so a file is tried first
     */
    default boolean refusesFolderDownloads() {
        return false;
    }

    /**
     * Deletes the file or folder at {@code path}.
     *
     * @param path the file or folder
     */
    void delete(String path);
}
