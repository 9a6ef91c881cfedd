package io.mlflowrest.internal.artifacts;

import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * {@code file:} URIs and plain paths: a folder every machine sees (NFS, a shared disk), read
 * and written directly, each file copied to a temporary sibling first and then moved into place.
 */
public final class LocalRepository implements ArtifactRepository {
    private final Path root;

    /**
     * A folder on a path the client can reach (a shared file system).
     *
     * @param root the artifact root
     */
    public LocalRepository(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    private Path resolve(String path) {
        Path p = root.resolve(RepoPaths.trim(path)).normalize();
        if (!p.startsWith(root)) {
            throw InvalidParameterValueError.clientSide("artifact_path", "inside the artifact root", path + " leaves " + root);
        }
        return p;
    }

    @Override
    public void upload(Path file, String path) {
        Path target = resolve(path);
        try {
            Files.createDirectories(target.getParent());
            Path partial = target.resolveSibling(target.getFileName() + ".part");
            Files.copy(file, partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + file + " to " + target, e);
        }
    }

    @Override
    public List<FileInfo> list(String dir) {
        Path folder = resolve(dir);
        List<FileInfo> entries = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return entries;
        }
        try (Stream<Path> children = Files.list(folder)) {
            for (Path child : (Iterable<Path>) children.sorted()::iterator) {
                FileInfo.Builder info = FileInfo.newBuilder().setPath(RepoPaths.join(dir, child.getFileName().toString()))
                        .setIsDir(Files.isDirectory(child));
                if (!info.getIsDir()) {
                    info.setFileSize(Files.size(child));
                }
                entries.add(info.build());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        return entries;
    }

    @Override
    public void download(String path, Path target) {
        Path source = resolve(path);
        if (!Files.isRegularFile(source)) {
            throw new ResourceDoesNotExistError("no file at " + source, null, "RESOURCE_DOES_NOT_EXIST", "GET", source.toString());
        }
        try {
            RepoPaths.writeWhole(Files.newInputStream(source), target, "GET", source.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source, e);
        }
    }

    @Override
    public boolean refusesFolderDownloads() {
        return true;
    }

    @Override
    public void delete(String path) {
        Path target = resolve(path);
        if (!Files.exists(target)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(target)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + target, e);
        }
    }

    @Override
    public String toString() {
        return "LocalRepository{" + root + "}";
    }
}
