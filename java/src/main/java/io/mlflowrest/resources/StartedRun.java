package io.mlflowrest.resources;

import org.mlflow.api.proto.Service.Run;

/**
 * What {@link Runs#startOrResume} found or made.
 *
 * @param run the run carrying the idempotency key
 * @param resumed an earlier start with the key made it (a retried or speculative task)
 * @param previousStatus its status before this start, or null when it is new
 */
public record StartedRun(Run run, boolean resumed, String previousStatus) {
    /**
     * {@return true when an earlier attempt finished the run: its work is done, and the run is left as it
     * was}
     */
    public boolean alreadyFinished() {
        return "FINISHED".equals(previousStatus);
    }
}
