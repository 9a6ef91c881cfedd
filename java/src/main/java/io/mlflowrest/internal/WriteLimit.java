package io.mlflowrest.internal;

import io.mlflowrest.generated.Rules;
import java.time.Duration;

/**
 * How many log-batch requests one client keeps in flight, shared by every thread logging
 * through it (logBatch and the background logger alike). Additive increase, multiplicative
 * decrease (docs/design.md, "Overload"; the numbers are family-rules.yaml {@code congestion},
 * shared with Python and R): every overload answer the transport sees (retry.overload) shrinks
 * the limit, every stored batch grows it back, by one per limit's worth of successes. Clients
 * do not share it, nor do processes: each backs off on the answers it gets, as in Python. What
 * the processes of one host share is a number of write slots ({@link HostSlots}), taken after
 * the window's and given back with it.
 */
public final class WriteLimit {
    private final HostSlots host;
    private final int ceiling;
    private final double floor;
    private double limit;
    private int inFlight;
    private int peak;
    private int decreases;

    /**
     * The window of a client with this batchConcurrency, starting where the rule says.
     *
     * @param batchConcurrency the client's requests in flight per logBatch call (below 1 counts as 1)
     */
    public WriteLimit(int batchConcurrency) {
        this(batchConcurrency, HostSlots.none());
    }

    /**
     * As above, each slot also holding one of the host's write slots.
     *
     * @param batchConcurrency the client's requests in flight per logBatch call (below 1 counts as 1)
     * @param host the write slots shared with the host's other processes writing to the same server
     */
    public WriteLimit(int batchConcurrency, HostSlots host) {
        this.host = host;
        int per = Math.max(1, batchConcurrency);
        // Under the server's pool, however many requests per call (family-rules.yaml, window_cap).
        this.ceiling = Math.min(Rules.CONGESTION_WINDOW_CAP, per * Rules.CONGESTION_MAX_WINDOW_PER_BATCH_CONCURRENCY);
        this.floor = Rules.CONGESTION_MIN_WINDOW;
        this.limit = Math.min(ceiling, per * Rules.CONGESTION_INITIAL_WINDOW_PER_BATCH_CONCURRENCY);
    }

    /**
     * Waits for a slot, at most {@code timeout}, then for a host write slot, at most
     * {@code timeout} again, then goes anyway: a limit must not turn into a hang. Closing the
     * slot gives both back.
     *
     * @param timeout the longest wait, for each of the two
     * @return the slot, to close once the request is answered
     */
    public Slot acquire(Duration timeout) {
        window(timeout);
        // Outside this object's monitor: waiting for another process must not block releases.
        HostSlots.Held shared;
        try {
            shared = host.acquire(timeout);
        } catch (RuntimeException | Error e) {
            release();
            throw e;
        }
        return () -> {
            shared.close();
            release();
        };
    }

    private synchronized void window(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        while (inFlight >= (int) limit) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true; // the request still goes; the caller's thread keeps its flag
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        inFlight++;
        peak = Math.max(peak, inFlight);
    }

    private synchronized void release() {
        inFlight--;
        notifyAll();
    }

    /** The server answered "overloaded": shrink the limit by the rule's factor, not below its floor. */
    public synchronized void overloaded() {
        limit = Math.max(floor, limit * Rules.CONGESTION_DECREASE_FACTOR);
        decreases++;
    }

    /** A batch was stored: add increase/limit, up to the ceiling. */
    public synchronized void stored() {
        limit = Math.min(ceiling, limit + Rules.CONGESTION_INCREASE / limit);
        notifyAll();
    }

    /** {@return requests allowed in flight now (the whole part of the limit)} */
    public synchronized int limit() {
        return (int) limit;
    }

    /** {@return the host write slots each slot also holds} */
    public HostSlots hostSlots() {
        return host;
    }

    /** {@return the ceiling the limit climbs back to} */
    public int ceiling() {
        return ceiling;
    }

    /** {@return the most requests that were in flight at once} */
    public synchronized int peak() {
        return peak;
    }

    /** {@return how many overload answers halved the limit} */
    public synchronized int decreases() {
        return decreases;
    }

    /** A request's place in flight; closing it gives it back. */
    @FunctionalInterface
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }
}
