package io.mlflowrest;

import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.resources.Runs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.mlflow.api.proto.Service.Metric;

/**
 * Queues metric points and sends them as log-batch requests every interval, so a training
 * loop pays no round trip per point. When more than one request's worth is queued (a fast
 * loop, or the final flush), logBatch keeps the client's batchConcurrency requests (2) in
 * flight and returns only when none is. A failed send keeps all its points and sends them
 * again first on the next try (identical points are stored once, so resending the ones a
 * concurrent request did store is safe); a {@link #flush()} or {@link #close()} that still
 * cannot send throws.
 */
final class BackgroundLogger implements AutoCloseable {
    private final Runs runs;
    private final String runId;
    private final ConcurrentLinkedQueue<Metric> queue = new ConcurrentLinkedQueue<>();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final List<Metric> pending = new ArrayList<>(); // taken from the queue, not yet stored
    private final ScheduledExecutorService timer;

    BackgroundLogger(Runs runs, String runId, Duration interval) {
        this.runs = runs;
        this.runId = runId;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mlflowrest-logger-" + runId);
            t.setDaemon(true);
            return t;
        });
        long millis = interval.toMillis();
        timer.scheduleWithFixedDelay(this::sendQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    void add(Metric metric) {
        queue.add(metric);
    }

    /** Sends everything queued so far (and anything an earlier send could not store), or throws. */
    synchronized void flush() {
        failure.set(null);
        for (Metric m = queue.poll(); m != null; m = queue.poll()) {
            pending.add(m);
        }
        if (!pending.isEmpty()) {
            runs.logBatch(runId, pending, List.of(), List.of());
            pending.clear();
        }
    }

    private void sendQuietly() {
        try {
            flush();
        } catch (MlflowError e) {
            failure.compareAndSet(null, e);
        }
    }

    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
