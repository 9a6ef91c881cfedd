package io.mlflowrest;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How {@link MlflowRestClient#startRun(RunOptions)} starts a run; immutable.
 * {@code RunOptions.inExperiment("1").named("train").tag("team", "ml").logInBackground(Duration.ofSeconds(1))}.
 * With a background interval, metrics are queued and sent in batches by a daemon thread, and
 * flushed on {@link ActiveRun#flush()} and {@link ActiveRun#close()}.
 */
public record RunOptions(String experimentId, String runName, Map<String, String> tags, Duration backgroundFlush,
        String idempotencyKey) {
    /** Options without an idempotency key. */
    public RunOptions(String experimentId, String runName, Map<String, String> tags, Duration backgroundFlush) {
        this(experimentId, runName, tags, backgroundFlush, null);
    }

    public RunOptions {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        if (backgroundFlush != null && (backgroundFlush.isNegative() || backgroundFlush.isZero())) {
            throw new IllegalArgumentException("backgroundFlush must be positive");
        }
    }

    public static RunOptions inExperiment(String experimentId) {
        return new RunOptions(experimentId, null, Map.of(), null);
    }

    public RunOptions named(String name) {
        return new RunOptions(experimentId, name, tags, backgroundFlush, idempotencyKey);
    }

    public RunOptions tag(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(tags);
        more.put(key, value);
        return new RunOptions(experimentId, runName, more, backgroundFlush, idempotencyKey);
    }

    public RunOptions logInBackground(Duration flushInterval) {
        return new RunOptions(experimentId, runName, tags, flushInterval, idempotencyKey);
    }

    /**
     * A start with a key that an earlier start used in the experiment returns that run (resumed,
     * or {@link ActiveRun#alreadyFinished()}) instead of creating another: for Spark tasks that
     * may be retried or run twice. See {@code Runs.startOrResume}.
     */
    public RunOptions idempotencyKey(String key) {
        return new RunOptions(experimentId, runName, tags, backgroundFlush, key);
    }
}
