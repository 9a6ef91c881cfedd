package io.mlflowrest;

import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.RequestTimeoutError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.generated.Limits;
import io.mlflowrest.generated.Routes;
import io.mlflowrest.internal.ErrorMapper;
import io.mlflowrest.internal.RetryPolicy;
import io.mlflowrest.resources.Runs;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.RunInfo;

/**
 * Queues metric points and sends them as log-batch requests from one thread every interval, so
 * a training loop pays no round trip per point. Three kinds of failure, three outcomes (the
 * family's rule, docs/design.md "Background logging"):
 * <ul>
 * <li>no answer, 408/429/5xx or an overload answer, after the transport's retries: the points
 * stay and go again next round (the server stores an identical point once);</li>
 * <li>400 INVALID_PARAMETER_VALUE about points: the batch is split in halves and resent until
 * each refused point is alone; those are dropped and reported, every other point is stored;</li>
 * <li>an answer about the run (deleted, 404, 401, 403...): the logger stops, and flush, close
 * and every later {@link #add} throw that error with what was stored.</li>
 * </ul>
 * Nothing is resent as it was after a final answer, so nothing loops; every wait is bounded.
 */
final class BackgroundLogger implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("io.mlflowrest");
    private static final int SHOWN = 5; // refused points named in an error message
    private static final long RETRY_PAUSE_MILLIS = 1000; // between rounds after the transport's retries ran out

    private final Runs runs;
    private final String runId;
    private final long intervalMillis;
    private final Duration flushTimeout;
    private final int concurrency;
    private final BooleanSupplier clientClosed;
    private final ConcurrentLinkedQueue<Metric> queue = new ConcurrentLinkedQueue<>();
    private final Object lock = new Object(); // guards the counts below; waits and wake-ups
    private final Deque<List<Metric>> parts = new ArrayDeque<>(); // taken from the queue, not yet stored
    private final List<Metric> refused = new ArrayList<>();
    private final List<ApiError> refusals = new ArrayList<>(); // the server's answer for each refused point
    private final Thread thread;
    private long queued;
    private long inParts;
    private long stored;
    private int reported; // refused points already thrown by a flush
    private boolean wake;
    private boolean sending;
    private volatile boolean closed;
    private volatile boolean stopped; // close() gave up: the thread ends after its current request
    private volatile MlflowError fatal;
    private volatile MlflowError retrying;
    private long retryAt;

    BackgroundLogger(Runs runs, String runId, Duration interval, Duration flushTimeout, int concurrency,
                     BooleanSupplier clientClosed) {
        this.clientClosed = clientClosed;
        this.runs = runs;
        this.runId = runId;
        this.intervalMillis = Math.max(1, interval.toMillis());
        this.flushTimeout = flushTimeout;
        this.concurrency = concurrency;
        this.thread = new Thread(this::run, "mlflowrest-logger-" + runId);
        thread.setDaemon(true); // the exit hook flushes; a daemon never holds the JVM up by itself
        thread.start();
    }

    void add(Metric metric) {
        MlflowError stop = fatal;
        if (stop != null) {
            throw summary(stop, "stopped: " + unsent() + " points not stored");
        }
        queue.add(metric);
        synchronized (lock) {
            if (++queued >= Limits.MAX_METRICS_PER_BATCH) {
                wake = true;
                lock.notifyAll();
            }
        }
    }

    long stored() {
        synchronized (lock) {
            return stored;
        }
    }

    private long unsent() {
        synchronized (lock) {
            return queued + inParts;
        }
    }

    // ---- the sending thread ----------------------------------------------------------------
    private void run() {
        while (!stopped) {
            synchronized (lock) {
                if (!wake) {
                    try {
                        lock.wait(intervalMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                wake = false;
                if (retrying != null && System.currentTimeMillis() < retryAt && !stopped) {
                    continue; // the transport has retried already; wait before the next round
                }
                sending = true;
            }
            try {
                sendAll();
                retrying = null;
            } catch (MlflowError e) { // transient: the points stay in parts and go again
                if (clientClosed.getAsBoolean()) {
                    fatal = e; // the client was closed under the run: nothing can be sent any more
                } else {
                    retrying = e;
                    retryAt = System.currentTimeMillis() + RETRY_PAUSE_MILLIS; // not the interval: flush may be waiting
                    LOG.log(Level.WARNING, "background logger: {0} points not sent yet: {1}",
                            new Object[] {unsent(), e.getMessage()});
                }
            } catch (RuntimeException e) { // a defect: stop rather than loop on it
                fatal = new MlflowError("background logger failed: " + e, e);
            } finally {
                synchronized (lock) {
                    sending = false;
                    lock.notifyAll();
                }
            }
            if (fatal != null || closed && unsent() == 0) {
                return; // stopped for good, or closed with nothing left
            }
        }
    }

    private List<Metric> take() {
        List<Metric> points = new ArrayList<>();
        int limit = Limits.MAX_METRICS_PER_BATCH * concurrency;
        synchronized (lock) {
            for (Metric m = queue.poll(); m != null; m = points.size() < limit ? queue.poll() : null) {
                points.add(m);
            }
            queued -= points.size();
            inParts += points.size();
        }
        return points;
    }

    private void sendAll() {
        boolean checkedRun = false;
        // stopped: close() gave up; no new request starts (the one in flight may still land)
        while (fatal == null && !stopped && (!parts.isEmpty() || unsent() > 0)) {
            if (parts.isEmpty()) {
                List<Metric> taken = take();
                if (taken.isEmpty()) {
                    return;
                }
                parts.push(taken);
                checkedRun = false;
            }
            List<Metric> part = parts.peek();
            try {
                runs.logBatch(runId, part, List.of(), List.of(), concurrency);
                parts.pop();
                synchronized (lock) {
                    inParts -= part.size();
                    stored += part.size();
                    lock.notifyAll();
                }
            } catch (MlflowError e) {
                if (!(e instanceof ApiError api) || !isFinal(api)) {
                    throw e;
                }
                parts.pop();
                if (!checkedRun) {
                    checkedRun = true;
                    if (runRefusesEverything(api)) {
                        parts.push(part);
                        return;
                    }
                }
                isolate(part, api);
            }
        }
    }

    /** An answer that sending the same points again cannot change. */
    private static boolean isFinal(ApiError e) {
        Integer status = e.httpStatus();
        return status == null || status >= 400 && status < 500 && !RetryPolicy.isRetried(e);
    }

    /** Halves go back to be sent (and split) again until a refused point is alone. */
    private void isolate(List<Metric> part, ApiError e) {
        if (!(e instanceof InvalidParameterValueError)) {
            fatal = e; // 401, 403, 404, 409...: about the run or the caller, not the points
            parts.push(part);
        } else if (part.size() == 1) {
            synchronized (lock) {
                refused.add(part.get(0));
                refusals.add(e);
                inParts -= 1;
                lock.notifyAll();
            }
            LOG.log(Level.WARNING, "background logger: the server refused {0}: {1}",
                    new Object[] {point(part.get(0)), e.serverMessage()});
        } else {
            int middle = part.size() / 2;
            parts.push(new ArrayList<>(part.subList(middle, part.size())));
            parts.push(new ArrayList<>(part.subList(0, middle)));
        }
    }

    /** A deleted or missing run refuses every point: stop rather than split 1000 ways. */
    private boolean runRefusesEverything(ApiError e) {
        RunInfo info;
        try {
            info = runs.get(runId).getInfo();
        } catch (ResourceDoesNotExistError missing) {
            fatal = missing;
            return true;
        } catch (MlflowError cannotTell) {
            return false; // splitting still ends, one point at a time
        }
        if (!info.getLifecycleStage().isEmpty() && !info.getLifecycleStage().equals("active")) {
            fatal = e;
            return true;
        }
        return false;
    }

    // ---- waiting ---------------------------------------------------------------------------
    /** Waits at most the client's flush timeout; see {@link #flush(Duration)}. */
    void flush() {
        flush(flushTimeout);
    }

    /**
     * Waits until every queued point is stored or refused, at most {@code timeout}. Throws
     * RequestTimeoutError saying how many points are still unsent, the server's error when it
     * refused points (naming them, with the count stored), or the error that stopped the logger.
     */
    void flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            wake = true;
            lock.notifyAll();
            while ((queued + inParts > 0 || sending) && fatal == null && thread.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    MlflowError last = retrying;
                    throw new RequestTimeoutError("background logger: " + (queued + inParts) + " metric points of run "
                            + runId + " still unsent after " + timeout.toMillis() / 1000.0 + " s (" + stored + " stored)"
                            + (last == null ? "" : "; last error: " + last.getMessage()),
                            Routes.RUNS_LOG_BATCH.method(), Routes.RUNS_LOG_BATCH.template(), last);
                }
                try {
                    lock.wait(Math.max(1, Math.min(left / 1_000_000, 50)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RequestTimeoutError("interrupted while flushing the background logger",
                            Routes.RUNS_LOG_BATCH.method(), Routes.RUNS_LOG_BATCH.template(), e);
                }
                if (!sending) {
                    wake = true;
                    lock.notifyAll();
                }
            }
        }
        MlflowError stop = fatal;
        if (stop != null) {
            throw summary(stop, "stopped: " + unsent() + " points not stored");
        }
        ApiError first = null;
        int count;
        synchronized (lock) {
            count = refused.size();
            if (count > reported) {
                first = refusals.get(reported);
                reported = count;
            }
        }
        if (first != null) {
            throw summary(first, count + " refused");
        }
    }

    /** The cause's class, with what the logger stored and which points the server refused. */
    private MlflowError summary(MlflowError cause, String what) {
        StringBuilder names = new StringBuilder();
        synchronized (lock) {
            for (int i = 0; i < Math.min(SHOWN, refused.size()); i++) {
                names.append(i == 0 ? "; refused: " : ", ").append(point(refused.get(i)));
            }
            if (refused.size() > SHOWN) {
                names.append(" and ").append(refused.size() - SHOWN).append(" more");
            }
            String detail = cause instanceof ApiError api && api.serverMessage() != null ? api.serverMessage()
                    : cause.getMessage();
            String message = "background logger for run " + runId + ": " + stored + " points stored, " + what + names
                    + ": " + detail;
            return cause instanceof ApiError api ? ErrorMapper.restated(api, message) : new MlflowError(message, cause);
        }
    }

    private static String point(Metric m) {
        return m.getKey() + "=" + m.getValue() + " (step=" + m.getStep() + ", timestamp=" + m.getTimestamp() + ")";
    }

    /** Flushes (bounded by the flush timeout), then stops the thread; after a timeout the unsent points are given up. */
    @Override
    public void close() {
        close(flushTimeout);
    }

    void close(Duration timeout) {
        try {
            flush(timeout);
        } catch (RequestTimeoutError e) {
            stopped = true;
            throw e;
        } finally {
            closed = true;
            synchronized (lock) {
                wake = true;
                lock.notifyAll();
            }
        }
    }
}
