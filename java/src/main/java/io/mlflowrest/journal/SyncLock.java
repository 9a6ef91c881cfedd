package io.mlflowrest.journal;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.JournalError;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** sync.lock/: one sync per directory (mkdir is atomic); a lock whose owner died is taken over. */
final class SyncLock implements AutoCloseable {
    private final Path path;

    private SyncLock(Path path) {
        this.path = path;
    }

    static SyncLock take(Path dir) {
        Path path = dir.resolve(Rules.JOURNAL_LOCK_DIR);
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.createDirectory(path);
                String owner = Json.write(Json.object().put("pid", ProcessHandle.current().pid())
                        .put("host", LiveFiles.localHost()).put("started_ms", System.currentTimeMillis()));
                Files.writeString(path.resolve("owner.json"), owner, StandardCharsets.UTF_8);
                return new SyncLock(path);
            } catch (FileAlreadyExistsException held) {
                JsonNode owner = readOwner(path);
                long pid = owner == null ? -1 : owner.path("pid").asLong(-1);
                boolean here = owner != null && LiveFiles.localHost().equals(owner.path("host").asText());
                if (here && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    throw new JournalError("another sync (pid " + pid + ") is running on " + dir, path, 0, null);
                }
                delete(path); // its owner died: take it over
            } catch (IOException e) {
                throw new JournalError("cannot take the sync lock " + path + ": " + e.getMessage(), path, 0, e);
            }
        }
        throw new JournalError("cannot take the sync lock " + path, path, 0, null);
    }

    private static JsonNode readOwner(Path path) {
        try {
            return Json.tryParse(Files.readString(path.resolve("owner.json"), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null; // a lock being made this instant has no owner yet: treated as dead only after the retry
        }
    }

    private static void delete(Path path) {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new JournalError("cannot remove the sync lock " + path + ": " + e.getMessage(), path, 0, e);
        }
    }

    @Override
    public void close() {
        delete(path);
    }
}
