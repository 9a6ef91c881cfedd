package io.mlflowrest.internal;

import java.time.Duration;

/**
 * How many log-batch requests one client keeps in flight, shared by every thread logging
 * through it (logBatch and the background logger alike). Additive increase, multiplicative
 * decrease (docs/design.md, "Overload"): every overload answer the transport sees
 * (family-rules.yaml, retry.overload) halves the limit, not below one; every stored batch adds
 * 1/limit, so the limit climbs back by one per limit's worth of successes, up to its ceiling.
 * Clients do not share it, nor do processes: each backs off on the answers it gets, as in Python.
 */
public final class WriteLimit {
    private final int ceiling;
    private double limit;
    private int inFlight;
    private int peak;
    private int decreases;

    /**
     * A limit starting at its ceiling.
     *
     * @param ceiling the most requests in flight, also the starting limit (below 1 counts as 1)
     */
    public WriteLimit(int ceiling) {
        this.ceiling = Math.max(1, ceiling);
        this.limit = this.ceiling;
    }

    /**
     * Waits for a slot, at most {@code timeout}, then goes anyway: a limit must not turn into a
     * hang. Closing the slot gives it back.
     *
     * @param timeout the longest wait
     * @return the slot, to close once the request is answered
     */
    public synchronized Slot acquire(Duration timeout) {
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
        return this::release;
    }

    private synchronized void release() {
        inFlight--;
        notifyAll();
    }

    /** The server answered "overloaded": halve the limit, not below one. */
    public synchronized void overloaded() {
        limit = Math.max(1.0, limit / 2);
        decreases++;
    }

    /** A batch was stored: add 1/limit, up to the ceiling. */
    public synchronized void stored() {
        limit = Math.min(ceiling, limit + 1 / limit);
        notifyAll();
    }

    /** {@return requests allowed in flight now (the whole part of the limit, at least 1)} */
    public synchronized int limit() {
        return (int) limit;
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
