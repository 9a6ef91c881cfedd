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
 * loop pays no round trip per point. A failed send is kept and thrown by the next
 * {@link #flush()}; {@link #close()} flushes what is left.
 */
final class BackgroundLogger implements AutoCloseable {
    private final Runs runs;
    private final String runId;
    private final ConcurrentLinkedQueue<Metric> queue = new ConcurrentLinkedQueue<>();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
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

    /** Sends everything queued so far, and throws an earlier background failure if there was one. */
    synchronized void flush() {
        RuntimeException earlier = failure.getAndSet(null);
        if (earlier != null) {
            throw earlier;
        }
        List<Metric> batch = new ArrayList<>();
        for (Metric m = queue.poll(); m != null; m = queue.poll()) {
            batch.add(m);
        }
        if (!batch.isEmpty()) {
            runs.logBatch(runId, batch, List.of(), List.of());
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
