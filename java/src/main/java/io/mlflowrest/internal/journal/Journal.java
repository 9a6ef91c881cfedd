package io.mlflowrest.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.JournalError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.generated.Route;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * One client's journal file (docs/journal.md). Journal mode: each write is recorded as a call,
 * sent, and marked done or failed; when the server stays away beyond the retry budget and
 * journal_on_unreachable is keep, the call stays in the journal and in a backlog that later
 * writes send first once the server answers again, so the training loop never sees the outage.
 * Offline mode: every write is recorded and answered here, creates with local ids.
 */
public final class Journal implements AutoCloseable {
    /** Sends a journaled call again (the backlog), through the transport's retries. */
    @FunctionalInterface
    public interface Sender {
        /**
         * @param route the operation
         * @param path the path to send to
         * @param body the JSON body
         * @return the answer
         */
        JsonNode send(Route route, String path, JsonNode body);
    }

    private static final System.Logger LOG = System.getLogger("io.mlflowrest");
    private static final long AWAY_MILLIS = 2000; // after a kept call, writes only record for this long

    private final Path dir;
    private final String session = LocalIds.hex32();
    private final JournalWriter writer;
    private final boolean offline;
    private final boolean keep;
    private final Sender sender;
    private final java.time.Duration requestBound;
    private final Object lock = new Object();
    private final Deque<Pending> backlog = new ArrayDeque<>();
    private long seq;
    private long awayUntil;
    private boolean draining;
    private boolean closed;

    private record Pending(long seq, Route route, String path, JsonNode body) {}

    private Journal(ClientConfig config, Sender sender) {
        this.dir = config.journalDir();
        this.offline = config.offline();
        this.keep = "keep".equals(config.journalOnUnreachable());
        this.sender = sender;
        // the longest one request can take with its retries (backoff factor and jitter at their 60 s cap at most)
        long tries = config.maxRetries() + 1L;
        this.requestBound = config.timeout().multipliedBy(tries).plusMillis(
                (long) (Math.min(60, config.backoffFactorSeconds() * Math.pow(2, config.maxRetries()))
                        + config.backoffJitterSeconds()) * 1000 * config.maxRetries());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new JournalError("cannot create the journal directory " + dir + ": " + e.getMessage(), dir, 0, e);
        }
        Path file = dir.resolve(Rules.JOURNAL_FILE_PREFIX + session + Rules.JOURNAL_FILE_SUFFIX);
        this.writer = JournalWriter.open(file,
                JournalWriter.Fsync.valueOf(config.journalFsync().toUpperCase(Locale.ROOT)),
                config.journalFsyncIntervalSeconds());
        writer.append(Records.open(session, offline ? "offline" : "journal",
                offline ? null : config.trackingUri().toString()));
    }

    /**
     * @param config the client's configuration; its journalDir must be set
     * @param sender resends backlog calls
     * @return the journal, its file opened with its open record written
     * @throws JournalError naming the directory or file when they cannot be written
     */
    public static Journal open(ClientConfig config, Sender sender) {
        return new Journal(config, sender);
    }

    /**
     * Only writes are journaled: not GET, and not the reads that POST a query (family-rules.yaml, read_prefixes).
     *
     * @param route an operation
     * @return true when calls of it are recorded
     */
    public static boolean records(Route route) {
        if ("GET".equals(route.method())) {
            return false;
        }
        for (String prefix : Rules.JOURNAL_READ_PREFIXES) {
            if (route.operationId().startsWith(prefix)) {
                return false;
            }
        }
        return true;
    }

    // owner (a client's operation layer, compared by identity) -> its journal, for the fluent layer
    private static final java.util.Map<Object, Journal> OWNERS = java.util.Collections.synchronizedMap(
            new java.util.WeakHashMap<>());

    /**
     * Records that {@code owner} (a client's operation layer) writes through this journal.
     *
     * @param owner the owner
     * @param journal its journal
     */
    public static void register(Object owner, Journal journal) {
        OWNERS.put(owner, journal);
    }

    /**
     * @param owner a client's operation layer
     * @return its journal, or null without one
     */
    public static Journal of(Object owner) {
        return OWNERS.get(owner);
    }

    /** {@return the journal file} */
    public Path file() {
        return writer.file();
    }

    /** {@return true when nothing is sent} */
    public boolean offline() {
        return offline;
    }

    /** {@return true when logging goes on into the journal while the server is away (journal_on_unreachable keep)} */
    public boolean keeps() {
        return keep && !offline;
    }

    /** {@return the longest one request can take with its retries: what a request in flight may still need} */
    public java.time.Duration requestBound() {
        return requestBound;
    }

    /**
     * From now on writes are recorded and kept without being sent, until {@link #drainFor} tries the server
     * again: the end of a run that has waited its flush timeout records the rest for sync at once.
     */
    public void holdAll() {
        synchronized (lock) {
            awayUntil = Long.MAX_VALUE;
        }
    }

    /** {@return calls recorded and not yet answered by the server: what sync still has to send} */
    public long leftForSync() {
        synchronized (lock) {
            return offline ? seq : backlog.size();
        }
    }

    /**
     * Records a write, then sends it (journal mode) or answers it here (offline).
     *
     * @param route the operation
     * @param path the path it goes to
     * @param body its JSON body (the idempotency tag is added to an offline createRun's)
     * @param sendNow sends it with the caller's retry guard
     * @return the server's answer, or one made here (offline, or kept while the server is away)
     */
    public JsonNode write(Route route, String path, JsonNode body, Supplier<JsonNode> sendNow) {
        String op = route.operationId();
        String local = null;
        if (offline) {
            local = bindsFor(op);
            if (local == null && op.startsWith("create")) {
                throw new JournalError("offline: " + op + " is not recorded offline (runs and experiments are);"
                        + " connect to a server for it", file(), 0, null);
            }
            if (local != null && op.equals("createRun")) {
                ArrayNode tags = ((ObjectNode) body).withArray("tags");
                tags.addObject().put("key", Rules.IDEMPOTENCY_KEY_TAG).put("value", local);
            }
        }
        long n;
        ObjectNode record;
        synchronized (lock) {
            n = ++seq;
            record = Records.call(n, requestId(body), op, route.method(), path, body);
            if (local != null) {
                record.putObject("binds").put("field", op.equals("createRun") ? "run.info.run_id" : "experiment_id")
                        .put("local", local);
            }
            writer.append(record); // throws JournalError (disk full): the call is not sent
        }
        if (offline) {
            return Answers.made(op, body, local);
        }
        boolean create = op.startsWith("create");
        if (!create) {
            drain();
            synchronized (lock) {
                if (!backlog.isEmpty() || System.currentTimeMillis() < awayUntil) { // away: wait behind the others, in order
                    backlog.add(new Pending(n, route, path, body));
                    return Answers.made(op, body, null);
                }
            }
        }
        return attempt(n, route, path, body, sendNow);
    }

    private JsonNode attempt(long n, Route route, String path, JsonNode body, Supplier<JsonNode> send) {
        try {
            JsonNode answer = send.get();
            settle(n, answer);
            return answer;
        } catch (MlflowError e) {
            if (!unreachable(e)) {
                refused(n, e);
                throw e;
            }
            if (!keep || route.operationId().startsWith("create")) {
                // the caller sees the error, so sync must not make what the caller was told failed
                if (route.operationId().startsWith("create")) {
                    refused(n, e);
                }
                throw e;
            }
            synchronized (lock) {
                backlog.add(new Pending(n, route, path, body));
                awayUntil = System.currentTimeMillis() + AWAY_MILLIS;
            }
            LOG.log(System.Logger.Level.WARNING, "server unreachable; {0} kept in the journal {1}: {2}",
                    route.operationId(), file(), e.getMessage());
            return Answers.made(route.operationId(), body, null);
        }
    }

    /** Sends the backlog in order while the server answers; stops at the first call it cannot reach. */
    private void drain() {
        while (true) {
            Pending next;
            synchronized (lock) {
                if (draining || backlog.isEmpty() || System.currentTimeMillis() < awayUntil) {
                    return;
                }
                draining = true;
                next = backlog.peek();
            }
            try {
                JsonNode answer = sender.send(next.route(), next.path(), next.body());
                settle(next.seq(), answer);
            } catch (MlflowError e) {
                if (unreachable(e)) {
                    synchronized (lock) {
                        awayUntil = System.currentTimeMillis() + AWAY_MILLIS;
                        draining = false;
                    }
                    return;
                }
                refused(next.seq(), e); // refused for good: recorded, and the rest goes on
            }
            synchronized (lock) {
                backlog.poll();
                draining = false;
            }
        }
    }

    /**
     * Tries the backlog once more, waiting for the server at most {@code timeout} (end of run).
     *
     * @param timeout the longest wait
     * @return the calls still left for sync
     */
    public long drainFor(java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!offline && leftForSync() > 0 && System.nanoTime() < deadline) {
            synchronized (lock) {
                awayUntil = 0;
            }
            drain();
            if (leftForSync() > 0) {
                try {
                    Thread.sleep(Math.min(AWAY_MILLIS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return leftForSync();
    }

    private void settle(long n, JsonNode answer) {
        synchronized (lock) {
            writer.append(Records.done(n, 200, "sent"));
        }
    }

    private void refused(long n, MlflowError e) {
        ApiError api = e instanceof ApiError a ? a : null;
        int status = api != null && api.httpStatus() != null ? api.httpStatus() : api == null ? 503 : 400;
        synchronized (lock) {
            writer.append(Records.failed(n, status, api == null ? "UNREACHABLE" : api.errorCode(),
                    api != null && api.serverMessage() != null ? api.serverMessage() : e.getMessage()));
        }
    }

    /** No answer, or an answer that retrying could change, after the transport's retries ran out. */
    static boolean unreachable(MlflowError e) {
        if (e instanceof TransportError) {
            return true;
        }
        return e instanceof ApiError api && !(api instanceof InvalidParameterValueError && api.httpStatus() == null)
                && api.httpStatus() != null && RetryPolicy.isRetried(api);
    }

    private static String bindsFor(String op) {
        return op.equals("createRun") || op.equals("createExperiment") ? LocalIds.next() : null;
    }

    /** The request id the body's request-id tag carries (so sync can find what it made), else a fresh one. */
    private static String requestId(JsonNode body) {
        if (body != null) {
            for (JsonNode tag : body.path("tags")) {
                if (Rules.REQUEST_ID_TAG.equals(tag.path("key").asText())) {
                    return tag.path("value").asText();
                }
            }
        }
        return LocalIds.hex32();
    }

    /**
     * Copies a file or folder into the journal and records it (offline). A folder's contents go under
     * {@code artifactPath}; a file goes to {@code artifactPath/<its name>}.
     *
     * @param runId the run (a local id offline)
     * @param local the file or folder
     * @param artifactPath the folder inside the run's artifacts; null or "" for the root
     */
    public void artifact(String runId, Path local, String artifactPath) {
        boolean isDir = Files.isDirectory(local);
        if (!isDir && !Files.isRegularFile(local)) {
            throw InvalidParameterValueError.clientSide("local", "an existing file or folder",
                    local + " is neither a file nor a directory");
        }
        long n;
        synchronized (lock) {
            n = ++seq;
        }
        Path rel = Path.of(Rules.JOURNAL_ARTIFACTS_DIR, session, Long.toString(n));
        Path target = dir.resolve(rel);
        try {
            Files.createDirectories(target);
            if (isDir) {
                try (Stream<Path> walk = Files.walk(local)) {
                    for (Path p : (Iterable<Path>) walk::iterator) {
                        Path to = target.resolve(local.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(to);
                        } else {
                            Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                rel = rel.resolve(local.getFileName().toString());
                Files.copy(local, dir.resolve(rel), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new JournalError("cannot copy " + local + " into the journal " + dir + " (disk full?): "
                    + e.getMessage(), dir, 0, e);
        }
        ObjectNode record = Json.object().put("type", "artifact").put("seq", n).put("request_id", LocalIds.hex32())
                .put("run_id", runId).put("artifact_path", artifactPath == null ? "" : artifactPath)
                .put("file", rel.toString().replace('\\', '/')).put("kind", isDir ? "dir" : "file")
                .put("time_ms", System.currentTimeMillis());
        synchronized (lock) {
            writer.append(record);
        }
    }

    /** Writes the close record: the file is no longer live. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                writer.append(Records.close());
            } finally {
                writer.close();
            }
        }
    }
}
