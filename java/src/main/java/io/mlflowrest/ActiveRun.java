package io.mlflowrest;

import io.mlflowrest.internal.Validation;
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
    private boolean ended;
    private boolean resumed;
    private boolean alreadyFinished;

    ActiveRun(RunInfo info, Runs runs, Artifacts artifacts, boolean owned, BackgroundLogger background) {
        this.info = info;
        this.runs = runs;
        this.artifacts = artifacts;
        this.owned = owned;
        this.background = background;
        if (owned && background != null) {
            ExitHook.register(this); // never closed: flushed and ended at JVM exit
        }
    }

    public String getId() {
        return info.getRunId();
    }

    public RunInfo getInfo() {
        return info;
    }

    public String getArtifactUri() {
        return info.getArtifactUri();
    }

    public void logParam(String key, String value) {
        runs.logParam(getId(), key, value);
    }

    public void setTag(String key, String value) {
        runs.setTag(getId(), key, value);
    }

    public void logMetric(String key, double value) {
        logMetric(key, value, 0);
    }

    /** Logs now, or queues for the background logger when the run has one. */
    public void logMetric(String key, double value, long step) {
        logMetric(key, value, System.currentTimeMillis(), step);
    }

    /** A point with its own timestamp (milliseconds since the epoch), as Runs.logMetric takes it. */
    public void logMetric(String key, double value, long timestamp, long step) {
        if (background != null) {
            Validation.key("key", key);
            background.add(Metric.newBuilder().setKey(key).setValue(value).setTimestamp(timestamp).setStep(step).build());
        } else {
            runs.logMetric(getId(), key, value, timestamp, step);
        }
    }

    public void logMetrics(Map<String, Double> metrics) {
        logMetrics(metrics, 0);
    }

    public void logMetrics(Map<String, Double> metrics, long step) {
        if (background != null) {
            metrics.forEach((k, v) -> logMetric(k, v, step));
        } else {
            runs.logMetrics(getId(), metrics, step);
        }
    }

    public void logParams(Map<String, String> params) {
        List<Param> list = params.entrySet().stream()
                .map(e -> Param.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build()).toList();
        runs.logBatch(getId(), List.of(), list, List.of());
    }

    public void setTags(Map<String, String> tags) {
        List<RunTag> list = tags.entrySet().stream()
                .map(e -> RunTag.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build()).toList();
        runs.logBatch(getId(), List.of(), List.of(), list);
    }

    /** Uploads a file or directory to the artifact root, natively (no Python). */
    public void logArtifact(Path local) {
        artifacts.upload(getId(), local, null);
    }

    public void logArtifact(Path local, String artifactPath) {
        artifacts.upload(getId(), local, artifactPath);
    }

    /** Uploads the contents of a directory, as the official logArtifacts does. */
    public void logArtifacts(Path localDir) {
        logArtifacts(localDir, null);
    }

    /**
     * Uploads what is inside {@code localDir} under {@code artifactPath}, subfolders kept
     * ({@code train/data.csv} and {@code test/data.csv} stay apart); every name is checked first.
     */
    public void logArtifacts(Path localDir, String artifactPath) {
        artifacts.uploadContents(getId(), localDir, artifactPath);
    }

    void markStarted(boolean resumed, boolean alreadyFinished) {
        this.resumed = resumed;
        this.alreadyFinished = alreadyFinished;
    }

    /** An earlier start with the same idempotency key made this run (a retried task). */
    public boolean resumed() {
        return resumed;
    }

    /** That earlier attempt finished the run: its work is done; closing leaves it as it was. */
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

    /** As {@link #flush()}, waiting at most {@code timeout}. */
    public void flush(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw io.mlflowrest.errors.InvalidParameterValueError.clientSide("timeout", "> 0", "got " + timeout);
        }
        if (background != null) {
            background.flush(timeout);
        }
    }

    /** Flushes and ends the run with that status. */
    public void endRun(RunStatus status) {
        flush();
        runs.setTerminated(getId(), status);
        ended = true;
        ExitHook.unregister(this);
    }

    /** Ends the run FAILED; the caller rethrows. */
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

    /** The exit hook's end: FAILED when the program died of an uncaught exception. */
    synchronized void endAtExit(boolean uncaught) {
        end(uncaught ? RunStatus.FAILED : RunStatus.FINISHED);
    }

    private synchronized void end(RunStatus status) {
        RuntimeException failure = null;
        try {
            if (background != null) {
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
