package io.mlflowrest;

import io.mlflowrest.internal.Validation;
import io.mlflowrest.internal.journal.Journal;
import io.mlflowrest.resources.Artifacts;
import io.mlflowrest.resources.Runs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;

/**
 * A run being logged to, with the official ActiveRun's method names. {@link #close()} flushes
 * the background logger and, for a run this object started, ends it FINISHED unless it was
 * already ended. Java gives close() no sight of an exception leaving the try block, so a
 * block that should end the run FAILED and rethrow is written with
 * {@link MlflowRestClient#withRun(RunOptions, MlflowRestClient.RunBody)}, or calls
 * {@link #fail(Throwable)} in its catch.
 */
public final class ActiveRun implements AutoCloseable {
    private final RunInfo info;
    private final Runs runs;
    private final Artifacts artifacts;
    private final boolean owned;
    private final BackgroundLogger background;
    private final Journal journal;
    private final Duration flushTimeout;
    private boolean ended;
    private boolean resumed;
    private boolean alreadyFinished;

    ActiveRun(RunInfo info, Runs runs, Artifacts artifacts, boolean owned, BackgroundLogger background) {
        this(info, runs, artifacts, owned, background, null, null);
    }

    ActiveRun(RunInfo info, Runs runs, Artifacts artifacts, boolean owned, BackgroundLogger background,
              Journal journal, Duration flushTimeout) {
        this.journal = journal;
        this.flushTimeout = flushTimeout;
        this.info = info;
        this.runs = runs;
        this.artifacts = artifacts;
        this.owned = owned;
        this.background = background;
        if (owned && background != null) {
            ExitHook.register(this); // never closed: flushed and ended at JVM exit
        }
    }

    /** {@return the run's id} */
    public String getId() {
        return info.getRunId();
    }

    /** {@return the run's info as it was when this object was made (status, times); not refreshed} */
    public RunInfo getInfo() {
        return info;
    }

    /** {@return the root URI of the run's artifacts, e.g. mlflow-artifacts:/1/abc/artifacts} */
    public String getArtifactUri() {
        return info.getArtifactUri();
    }

    /**
     * Logs a parameter at once (never through the background logger).
     *
     * @param key the parameter's name, at most 250 characters
     * @param value its value, at most 6000 characters; a param cannot be changed once logged
     * @throws io.mlflowrest.errors.InvalidParameterValueError when the key or value breaks a server limit
     */
    public void logParam(String key, String value) {
        runs.logParam(getId(), key, value);
    }

    /**
     * Sets a tag at once, overwriting any earlier value.
     *
     * @param key the tag's name, at most 250 characters
     * @param value its value, at most 8000 characters
     */
    public void setTag(String key, String value) {
        runs.setTag(getId(), key, value);
    }

    /**
     * Logs a metric at step 0, stamped now; see {@link #logMetric(String, double, long)}.
     *
     * @param key the metric's name
     * @param value its value
     */
    public void logMetric(String key, double value) {
        logMetric(key, value, 0);
    }

    /**
     * Logs now, or queues for the background logger when the run has one.
     *
     * @param key the metric's name, at most 250 characters
     * @param value its value
     * @param step the step it belongs to (its timestamp is now, in milliseconds)
     */
    public void logMetric(String key, double value, long step) {
        logMetric(key, value, System.currentTimeMillis(), step);
    }

    /**
     * A point with its own timestamp (milliseconds since the epoch), as Runs.logMetric takes it.
     *
     * @param key the metric's name, at most 250 characters
     * @param value its value
     * @param timestamp milliseconds since the epoch
     * @param step the step it belongs to
     */
    public void logMetric(String key, double value, long timestamp, long step) {
        if (background != null) {
            Validation.key("key", key);
            background.add(Metric.newBuilder().setKey(key).setValue(value).setTimestamp(timestamp).setStep(step).build());
        } else {
            runs.logMetric(getId(), key, value, timestamp, step);
        }
    }

    /**
     * Logs several metrics at step 0, in as few requests as the server's limits allow.
     *
     * @param metrics name -> value
     */
    public void logMetrics(Map<String, Double> metrics) {
        logMetrics(metrics, 0);
    }

    /**
     * Logs several metrics at one step, stamped now, in as few requests as the server's limits allow.
     *
     * @param metrics name -> value
     * @param step the step they belong to
     */
    public void logMetrics(Map<String, Double> metrics, long step) {
        if (background != null) {
            metrics.forEach((k, v) -> logMetric(k, v, step));
        } else {
            runs.logMetrics(getId(), metrics, step);
        }
    }

    /**
     * Logs several parameters in one batch, split as the server's limits require.
     *
     * @param params name -> value
     */
    public void logParams(Map<String, String> params) {
        List<Param> list = params.entrySet().stream()
                .map(e -> Param.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build()).toList();
        runs.logBatch(getId(), List.of(), list, List.of());
    }

    /**
     * Sets several tags in one batch, split as the server's limits require.
     *
     * @param tags name -> value
     */
    public void setTags(Map<String, String> tags) {
        List<RunTag> list = tags.entrySet().stream()
                .map(e -> RunTag.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build()).toList();
        runs.logBatch(getId(), List.of(), List.of(), list);
    }

    /**
     * Uploads a file or directory to the artifact root, natively (no Python).
     *
     * @param local the file or directory to upload
     */
    public void logArtifact(Path local) {
        artifacts.upload(getId(), local, null);
    }

    /**
     * Uploads a file or directory under a folder of the run's artifacts, natively (no Python).
     *
     * @param local the file or directory to upload
     * @param artifactPath the folder below the artifact root, e.g. {@code plots/2024}; null for the root
     */
    public void logArtifact(Path local, String artifactPath) {
        artifacts.upload(getId(), local, artifactPath);
    }

    /**
     * Uploads the contents of a directory, as the official logArtifacts does.
     *
     * @param localDir the directory whose contents are uploaded to the artifact root
     */
    public void logArtifacts(Path localDir) {
        logArtifacts(localDir, null);
    }

    /**
     * Uploads what is inside {@code localDir} under {@code artifactPath}, subfolders kept
     * ({@code train/data.csv} and {@code test/data.csv} stay apart); every name is checked first.
     *
     * @param localDir the directory whose contents are uploaded
     * @param artifactPath the folder below the artifact root; null for the root
     */
    public void logArtifacts(Path localDir, String artifactPath) {
        artifacts.uploadContents(getId(), localDir, artifactPath);
    }

    void markStarted(boolean resumed, boolean alreadyFinished) {
        this.resumed = resumed;
        this.alreadyFinished = alreadyFinished;
    }

    /** {@return true when an earlier start with the same idempotency key made this run (a retried task)} */
    public boolean resumed() {
        return resumed;
    }

    /**
     * {@return true when that earlier attempt finished the run: its work is done, and closing leaves it as it
     * was}
     */
    public boolean alreadyFinished() {
        return alreadyFinished;
    }

    /**
     * Waits until the background logger has stored or refused every point queued, at most the
     * client's flushTimeout (MLFLOWREST_FLUSH_TIMEOUT, 120 s). Throws RequestTimeoutError saying
     * how many points are unsent, the server's typed error naming the points it refused (and how
     * many were stored), or the error that stopped the logger (the run deleted, 401, 403, 404).
     */
    public void flush() {
        if (background != null) {
            background.flush();
        }
    }

    /**
     * As {@link #flush()}, waiting at most {@code timeout}.
     *
     * @param timeout more than zero
     * @throws io.mlflowrest.errors.InvalidParameterValueError when the timeout is null, zero or negative
     */
    public void flush(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw io.mlflowrest.errors.InvalidParameterValueError.clientSide("timeout", "> 0", "got " + timeout);
        }
        if (background != null) {
            background.flush(timeout);
        }
    }

    /**
     * Flushes and ends the run with that status.
     *
     * @param status the run's final status, e.g. FINISHED or KILLED
     */
    public void endRun(RunStatus status) {
        flush();
        runs.setTerminated(getId(), status);
        ended = true;
        ExitHook.unregister(this);
    }

    /**
     * Ends the run FAILED; the caller rethrows.
     *
     * @param cause the exception ending the run; a failure to flush is added to it as suppressed
     */
    public void fail(Throwable cause) {
        try {
            if (background != null) {
                background.close();
            }
        } catch (RuntimeException flushFailure) {
            cause.addSuppressed(flushFailure);
        }
        runs.setTerminated(getId(), RunStatus.FAILED);
        ended = true;
        ExitHook.unregister(this);
    }

    /**
     * Flushes the background logger (bounded by the flush timeout) and ends the run FINISHED
     * unless it was already ended. The run is ended even when the flush throws (points refused,
     * the logger stopped, the timeout passed); that error is thrown after.
     */
    @Override
    public void close() {
        end(RunStatus.FINISHED);
    }

    /**
     * Journal mode, keep: after the flush timeout what is still queued is recorded in the journal
     * without being sent (a request in flight may still take its retries), so ending never throws
     * for an absent server and nothing queued is lost.
     */
    private void closeIntoJournal() {
        try {
            background.flush(flushTimeout);
        } catch (io.mlflowrest.errors.RequestTimeoutError slow) {
            journal.holdAll();
        }
        background.close(journal.requestBound().plus(flushTimeout));
    }

    /**
     * With a journal, the run ends locally whatever the server's state: what it has not answered
     * within the flush timeout is left for sync, and said so (never a secret: paths and counts only).
     */
    private void reportLeftForSync() {
        if (journal == null) {
            return;
        }
        long left = journal.offline() ? journal.leftForSync() : journal.drainFor(flushTimeout);
        if (left > 0) {
            System.getLogger("io.mlflowrest").log(System.Logger.Level.WARNING,
                    "run {0} ended locally; {1} calls left in the journal {2}: send them with"
                            + " `java -jar mlflowrest-cli.jar sync {3}`",
                    getId(), left, journal.file(), journal.file().getParent());
        }
    }

    /** The exit hook's end: FAILED when the program died of an uncaught exception. */
    synchronized void endAtExit(boolean uncaught) {
        end(uncaught ? RunStatus.FAILED : RunStatus.FINISHED);
    }

    private synchronized void end(RunStatus status) {
        RuntimeException failure = null;
        try {
            if (background != null && journal != null && journal.keeps()) {
                closeIntoJournal();
            } else if (background != null) {
                background.close();
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            if (owned && !ended) {
                if (!alreadyFinished) { // keep the first attempt's end time
                    runs.setTerminated(getId(), status);
                }
                ended = true;
            }
            reportLeftForSync();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        } finally {
            ExitHook.unregister(this);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
