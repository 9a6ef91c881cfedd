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
    /**
     * Options without an idempotency key.
     *
     * @param experimentId the experiment to start the run in
     * @param runName the run's name, or null for one the server picks
     * @param tags tags the run starts with; null for none
     * @param backgroundFlush how often queued metrics are sent, or null to log each at once
     */
    public RunOptions(String experimentId, String runName, Map<String, String> tags, Duration backgroundFlush) {
        this(experimentId, runName, tags, backgroundFlush, null);
    }

    /**
     * Copies the tags; null tags become none.
     *
     * @throws IllegalArgumentException when backgroundFlush is zero or negative
     * @param experimentId the experiment to start the run in
     * @param runName the run's name, or null for one the server picks
     * @param tags tags the run starts with; null for none
     * @param backgroundFlush how often queued metrics are sent, or null to log each at once
     * @param idempotencyKey names the unit of work so a retried start resumes its run, or null
     */
    public RunOptions {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        if (backgroundFlush != null && (backgroundFlush.isNegative() || backgroundFlush.isZero())) {
            throw new IllegalArgumentException("backgroundFlush must be positive");
        }
    }

    /**
     * @param experimentId the experiment to start the run in
     * @return options with no name, tags or background logging
     */
    public static RunOptions inExperiment(String experimentId) {
        return new RunOptions(experimentId, null, Map.of(), null);
    }

    /**
     * @param name the run's name
     * @return a copy with that name
     */
    public RunOptions named(String name) {
        return new RunOptions(experimentId, name, tags, backgroundFlush, idempotencyKey);
    }

    /**
     * @param key the tag's name
     * @param value its value
     * @return a copy with that tag added
     */
    public RunOptions tag(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(tags);
        more.put(key, value);
        return new RunOptions(experimentId, runName, more, backgroundFlush, idempotencyKey);
    }

    /**
     * @param flushInterval how often the daemon thread sends queued metrics; positive
     * @return a copy that logs metrics in the background
     */
    public RunOptions logInBackground(Duration flushInterval) {
        return new RunOptions(experimentId, runName, tags, flushInterval, idempotencyKey);
    }

    /**
     * A start with a key that an earlier start used in the experiment returns that run (resumed,
     * or {@link ActiveRun#alreadyFinished()}) instead of creating another: for Spark tasks that
     * may be retried or run twice. See {@code Runs.startOrResume}.
     *
     * @param key names the unit of work, e.g. {@code job-42/group-7}; at most 250 characters, no quotes or
     *     backslashes
     * @return a copy with that key
     */
    public RunOptions idempotencyKey(String key) {
        return new RunOptions(experimentId, runName, tags, backgroundFlush, key);
    }
}
