package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.generated.Routes;
import java.util.Iterator;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Sends the log-batch bodies of a {@link BatchChunker}. Bodies with params or tags go one
 * after another in their order (a later tag overwrites an earlier one, and params land before
 * metrics); the metric-only bodies after them go with up to {@code inFlight} requests at once,
 * since metric points are a set on the server and their order of arrival changes nothing.
 * After a failure no new request starts, the ones in flight finish, and the first failure is
 * thrown with a note of how much was stored. One instance per logBatch call.
 */
public final class BatchSender {
    // Shared by all clients; idle threads end after a minute, and daemon ones never hold up exit.
    private static final ExecutorService POOL = Executors.newCachedThreadPool(new Daemons());

    private final Consumer<ObjectNode> send;
    private final int inFlight;
    private final CompletionService<ObjectNode> done = new ExecutorCompletionService<>(POOL);
    private final Tally stored = new Tally();
    private int running;
    private int started;
    private RuntimeException first;
    private boolean interrupted;

    /**
     * @param send sends one log-batch body, throwing the typed error on failure
     * @param inFlight metric-only requests at once, at least 1
     */
    public BatchSender(Consumer<ObjectNode> send, int inFlight) {
        if (inFlight < 1) {
            throw new IllegalArgumentException("inFlight must be at least 1, got " + inFlight);
        }
        this.send = send;
        this.inFlight = inFlight;
    }

    /**
     * Sends every body and returns the number of requests, or throws the first failure once
     * nothing is in flight. {@code totalMetrics} and the others are for the failure's note
     * (-1 when the input's size is unknown).
     *
     * @param bodies the bodies, params and tags first
     * @param totalMetrics metrics in the input, or -1
     * @param totalParams params in the input, or -1
     * @param totalTags tags in the input, or -1
     * @return the number of requests sent
     */
    public int sendAll(Iterator<ObjectNode> bodies, long totalMetrics, long totalParams, long totalTags) {
        boolean more = false;
        try {
            while (first == null && bodies.hasNext()) {
                ObjectNode body = bodies.next(); // may throw when a caller hands in a lazy iterator
                if (hasParamsOrTags(body) || inFlight == 1) {
                    awaitAll(); // nothing runs then, as the chunker puts params and tags first
                    if (first == null) {
                        sendHere(body);
                    }
                } else if (running == 0 && !bodies.hasNext()) {
                    sendHere(body); // a lone body: no hand-over to another thread
                } else {
                    while (running >= inFlight) {
                        awaitOne();
                    }
                    if (first == null) {
                        submit(body);
                    }
                }
            }
            more = first != null && bodies.hasNext();
        } catch (RuntimeException e) {
            fail(e);
            more = true;
        }
        awaitAll();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (first != null) {
            // A batch of one request, or one that failed before sending, needs no note.
            if (first instanceof MlflowError error && (started > 1 || started == 1 && more)) {
                error.addNote(stored.note(totalMetrics, totalParams, totalTags));
            }
            throw first;
        }
        return started;
    }

    private static boolean hasParamsOrTags(ObjectNode body) {
        return body.path("params").size() > 0 || body.path("tags").size() > 0;
    }

    private void sendHere(ObjectNode body) {
        started++;
        try {
            send.accept(body);
            stored.add(body);
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void submit(ObjectNode body) {
        started++;
        running++;
        done.submit(() -> {
            send.accept(body);
            return body;
        });
    }

    private void awaitAll() {
        while (running > 0) {
            awaitOne();
        }
    }

    /** Waits for one request in flight, even when interrupted: none may be left behind unaccounted. */
    private void awaitOne() {
        Future<ObjectNode> future;
        while (true) {
            try {
                future = done.take();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                fail(new TransportError("interrupted while log-batch requests were in flight",
                        Routes.RUNS_LOG_BATCH.method(), Routes.RUNS_LOG_BATCH.template(), e));
            }
        }
        running--;
        try {
            stored.add(future.get());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            fail(cause instanceof RuntimeException r ? r : new MlflowError("log-batch request failed: " + cause, cause));
        } catch (InterruptedException e) {
            throw new IllegalStateException("a completed future cannot be interrupted", e);
        }
    }

    private void fail(RuntimeException e) {
        if (first == null) {
            first = e;
        }
    }

    /** What the successful requests carried. */
    private static final class Tally {
        private long metrics;
        private long params;
        private long tags;

        void add(ObjectNode body) {
            metrics += body.path("metrics").size();
            params += body.path("params").size();
            tags += body.path("tags").size();
        }

        String note(long totalMetrics, long totalParams, long totalTags) {
            StringBuilder b = new StringBuilder("logBatch stored ").append(count(metrics, totalMetrics, "metric points"));
            if (params > 0 || totalParams != 0) {
                b.append(", ").append(count(params, totalParams, "params"));
            }
            if (tags > 0 || totalTags != 0) {
                b.append(", ").append(count(tags, totalTags, "tags"));
            }
            return b.append("; the rest failed or were not sent").toString();
        }

        private static String count(long stored, long total, String what) {
            return total < 0 ? stored + " " + what
                    : stored + " of " + total + " " + what + " (" + (total - stored) + " not stored)";
        }
    }

    private static final class Daemons implements ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "mlflowrest-batch-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
