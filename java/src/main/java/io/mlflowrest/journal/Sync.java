package io.mlflowrest.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.JournalError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.RetryPolicy;
import io.mlflowrest.internal.journal.JournalReader;
import io.mlflowrest.internal.journal.JournalWriter;
import io.mlflowrest.internal.journal.LocalIds;
import io.mlflowrest.internal.journal.Records;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Replays a journal directory into a server (docs/journal.md, "How sync makes replay
 * idempotent"): every file, whichever SDK wrote it, its calls in seq order, skipping those with
 * a done or failed record, binding local ids to server ids and appending done, failed and bind
 * records as answers come. Run twice, or killed and run again, it creates nothing twice.
 */
public final class Sync {
    private static final Pattern FILE = Pattern.compile(Pattern.quote(Rules.JOURNAL_FILE_PREFIX) + "[0-9a-f]{32}"
            + Pattern.quote(Rules.JOURNAL_FILE_SUFFIX));

    private final MlflowRestClient client;
    private final Path dir;
    private final Map<String, String> binds = new HashMap<>();

    private Sync(MlflowRestClient client, Path dir) {
        this.client = client;
        this.dir = dir;
    }

    /**
     * Syncs {@code dir} into the server of {@code config} (its own writes never journaled).
     *
     * @param dir a journal or offline directory
     * @param config the server to send to; its journal settings are ignored
     * @param includeLive also sync files whose writer is still running
     * @return what was sent
     * @throws JournalError when the directory is missing, another sync holds its lock, or a file is corrupt
     */
    public static SyncReport sync(Path dir, ClientConfig config, boolean includeLive) {
        if (config.offline()) {
            throw io.mlflowrest.errors.InvalidParameterValueError.clientSide("tracking_uri", "http(s)://...",
                    "sync needs a server, got " + config.trackingUri());
        }
        try (MlflowRestClient client = MlflowRestClient.create(config.toBuilder().journalDir(null).build())) {
            return sync(dir, client, includeLive);
        }
    }

    /**
     * Syncs {@code dir} through {@code client}, which must have no journal of its own.
     *
     * @param dir a journal or offline directory
     * @param client the client to send with
     * @param includeLive also sync files whose writer is still running
     * @return what was sent
     * @throws JournalError when the directory is missing, another sync holds its lock, or a file is corrupt
     */
    public static SyncReport sync(Path dir, MlflowRestClient client, boolean includeLive) {
        if (!Files.isDirectory(dir)) {
            throw new JournalError("no journal directory " + dir, dir, 0, null);
        }
        SyncLock lock = SyncLock.take(dir);
        try {
            return new Sync(client, dir).run(includeLive);
        } finally {
            lock.close();
        }
    }

    private SyncReport run(boolean includeLive) {
        List<JournalReader.Contents> contents = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list.filter(p -> FILE.matcher(p.getFileName().toString()).matches())::iterator) {
                contents.add(JournalReader.read(p));
            }
        } catch (IOException e) {
            throw new JournalError("cannot list the journal directory " + dir + ": " + e.getMessage(), dir, 0, e);
        }
        contents.sort(Comparator.comparingLong((JournalReader.Contents c) -> created(c))
                .thenComparing(c -> c.file().getFileName().toString()));
        for (JournalReader.Contents c : contents) { // binds first: a file may use ids another one bound
            for (ObjectNode r : c.records()) {
                if ("bind".equals(r.path("type").asText())) {
                    binds.put(r.path("local").asText(), r.path("remote").asText());
                }
            }
        }
        SyncReport report = new SyncReport();
        for (JournalReader.Contents c : contents) {
            SyncReport.FileReport f = report.add(c.file().getFileName().toString());
            f.torn = c.tornLines();
            String live = includeLive ? null : LiveFiles.liveWriter(c.records());
            if (live != null) {
                f.skipped = live;
                continue;
            }
            syncFile(c, f);
        }
        return report;
    }

    private static long created(JournalReader.Contents c) {
        return c.records().isEmpty() ? Long.MAX_VALUE : c.records().get(0).path("created_ms").asLong(Long.MAX_VALUE);
    }

    private void syncFile(JournalReader.Contents c, SyncReport.FileReport f) {
        Set<Long> settled = new HashSet<>();
        List<ObjectNode> todo = new ArrayList<>();
        for (ObjectNode r : c.records()) {
            String type = r.path("type").asText();
            if (type.equals("done") || type.equals("failed")) {
                settled.add(r.path("seq").asLong());
            } else if (type.equals("call") || type.equals("artifact")) {
                todo.add(r);
            }
        }
        todo.removeIf(r -> settled.contains(r.path("seq").asLong()));
        if (todo.isEmpty()) {
            return;
        }
        todo.sort(Comparator.comparingLong(r -> r.path("seq").asLong()));
        try (JournalWriter writer = JournalWriter.open(c.file(), JournalWriter.Fsync.INTERVAL, 1.0)) {
            for (int i = 0; i < todo.size(); i++) {
                ObjectNode r = todo.get(i);
                long seq = r.path("seq").asLong();
                String unbound = r.path("type").asText().equals("artifact")
                        ? (LocalIds.isLocal(r.path("run_id").asText()) && !binds.containsKey(r.path("run_id").asText())
                                ? r.path("run_id").asText() : null)
                        : LocalIds.firstUnbound(r.path("body"), id -> !binds.containsKey(id));
                if (unbound != null) {
                    f.waiting = todo.size() - i;
                    f.error = "seq " + seq + " needs " + unbound + ", whose create has not been synced";
                    return;
                }
                try {
                    Replay.Outcome outcome = r.path("type").asText().equals("artifact")
                            ? Replay.artifact(client, dir, r, binds) : Replay.call(client, r, binds);
                    if (outcome.remote() != null && r.path("binds").hasNonNull("local")) {
                        String local = r.path("binds").path("local").asText();
                        binds.put(local, outcome.remote());
                        writer.append(Records.bind(seq, local, outcome.remote()));
                        if ("run.info.run_id".equals(r.path("binds").path("field").asText())) {
                            f.runs.put(local, outcome.remote());
                        }
                    }
                    writer.append(Records.done(seq, 200, outcome.alreadyPresent() ? "already_present" : "sent"));
                    if (outcome.alreadyPresent()) {
                        f.alreadyPresent++;
                    } else {
                        f.sent++;
                    }
                } catch (JournalError e) {
                    throw e;
                } catch (MlflowError e) {
                    if (unreachable(e)) {
                        f.waiting = todo.size() - i;
                        f.error = "no answer at seq " + seq + ": " + e.getMessage();
                        return;
                    }
                    ApiError api = e instanceof ApiError a ? a : null;
                    String code = api == null || api.errorCode() == null ? "INVALID_PARAMETER_VALUE" : api.errorCode();
                    int status = api != null && api.httpStatus() != null ? api.httpStatus() : 400;
                    writer.append(Records.failed(seq, status, code,
                            api != null && api.serverMessage() != null ? api.serverMessage() : e.getMessage()));
                    f.failed.merge(code, 1, Integer::sum);
                }
            }
        }
    }

    private static boolean unreachable(MlflowError e) {
        return e instanceof TransportError || e instanceof ApiError api && api.httpStatus() != null
                && !(e instanceof ResourceAlreadyExistsError) && RetryPolicy.isRetried(api);
    }

    /** Stands for a JSON body copied so that replacing ids never changes the record read. */
    static ObjectNode copy(JsonNode body) {
        return body instanceof ObjectNode o ? o.deepCopy() : Json.object();
    }
}
