package io.mlflowrest.resources;

import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Rules;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunStatus;

/**
 * Idempotency keys for runs, the family's rule (docs/design.md, "Exactly-once runs"): the key is
 * a run tag; a start first looks for an active run carrying it; when there is none it creates one
 * and settles a race with concurrent starters by keeping the oldest run carrying the key, by
 * (start_time, run_id). A starter whose run is not the oldest deletes it and takes the oldest. It
 * decides once the set of runs with the key stopped growing for one settle interval (twice its own
 * create's duration, bounded), so concurrent creates still in flight are seen first.
 */
final class Idempotency {
    static final String TAG = Rules.IDEMPOTENCY_KEY_TAG; // openapi/family-rules.yaml, idempotency
    static final int MAX_KEY_LENGTH = Rules.IDEMPOTENCY_MAX_KEY_LENGTH;
    // The key goes into a search filter's quotes.
    private static final Pattern ALLOWED = Pattern.compile("^[^'\"\\\\\\x00-\\x1f]+$");
    private static final long SETTLE_MIN_MS = Rules.IDEMPOTENCY_SETTLE_MIN_MS;
    private static final long SETTLE_MAX_MS = Rules.IDEMPOTENCY_SETTLE_MAX_MS;
    private static final int SETTLE_ROUNDS = 10;

    private Idempotency() {}

    static String check(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH || !ALLOWED.matcher(key).matches()) {
            throw InvalidParameterValueError.clientSide("idempotencyKey", "max_length=" + MAX_KEY_LENGTH,
                    "must be 1-" + MAX_KEY_LENGTH + " characters without quotes, backslashes or control characters");
        }
        return key;
    }

    static StartedRun start(Runs runs, String experimentId, String key, Supplier<Run> create) {
        Optional<Run> existing = oldest(runs, experimentId, key);
        if (existing.isPresent()) {
            return resume(runs, existing.get());
        }
        long began = System.nanoTime();
        Run mine = create.get();
        long settle = Math.min(Math.max(2 * (System.nanoTime() - began) / 1_000_000, SETTLE_MIN_MS), SETTLE_MAX_MS);
        // Decide once no new run with the key appeared for one settle interval: creates queued on
        // a busy server commit one by one, and a decision taken mid-queue could pick a run that a
        // later-committed, older one outranks. Bounded: at most SETTLE_ROUNDS waits.
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int round = 0; round < SETTLE_ROUNDS; round++) {
            java.util.Set<String> ids = new java.util.HashSet<>();
            withKey(runs, experimentId, key).forEach(r -> ids.add(r.getInfo().getRunId()));
            if (!seen.isEmpty() && seen.containsAll(ids)) {
                break;
            }
            seen.addAll(ids);
            sleep(settle);
        }
        for (int round = 0; round < SETTLE_ROUNDS; round++) {
            Optional<Run> winner = oldest(runs, experimentId, key);
            if (winner.isEmpty() || winner.get().getInfo().getRunId().equals(mine.getInfo().getRunId())) {
                break;
            }
            // Its starter may have stepped down since the search: only an active run wins.
            if ("active".equals(runs.get(winner.get().getInfo().getRunId()).getInfo().getLifecycleStage())) {
                runs.delete(mine.getInfo().getRunId()); // a concurrent starter's run is older: it wins
                return resume(runs, winner.get());
            }
            sleep(settle);
        }
        return new StartedRun(mine, false, null);
    }

    private static List<Run> withKey(Runs runs, String experimentId, String key) {
        SearchOptions options = SearchOptions.filter("tags.`" + TAG + "` = '" + key + "'")
                .viewType("ACTIVE_ONLY").pageSize(1000);
        return StreamSupport.stream(runs.search(List.of(experimentId), options).spliterator(), false).toList();
    }

    private static Optional<Run> oldest(Runs runs, String experimentId, String key) {
        return withKey(runs, experimentId, key).stream().min(Comparator.<Run>comparingLong(r -> r.getInfo().getStartTime())
                .thenComparing(r -> r.getInfo().getRunId()));
    }

    private static StartedRun resume(Runs runs, Run run) {
        String status = run.getInfo().getStatus().name();
        if (run.getInfo().getStatus() != RunStatus.FINISHED) {
            runs.update(run.getInfo().getRunId(), RunStatus.RUNNING, null, null);
            run = runs.get(run.getInfo().getRunId());
        }
        return new StartedRun(run, true, status);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while settling an idempotent start", e);
        }
    }
}
