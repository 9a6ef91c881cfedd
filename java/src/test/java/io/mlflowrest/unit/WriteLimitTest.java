package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.ServerError;
import io.mlflowrest.internal.HostSlots;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.WriteLimit;
import io.mlflowrest.generated.Routes;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.unit.StubServer.Answer;
import io.mlflowrest.unit.StubServer.Request;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client-wide adaptive write limit (docs/design.md, "Overload"): overload answers halve it,
 * stored batches raise it by 1/limit, and logBatch and the background logger share it.
 */
class WriteLimitTest {
    private static final String RUN = "{\"run\":{\"info\":{\"run_id\":\"r1\",\"experiment_id\":\"1\"}}}";
    private static final Answer POOL_TIMEOUT = Answer.json(400, "{\"error_code\":\"BAD_REQUEST\",\"message\":"
            + "\"(sqlalchemy.exc.TimeoutError) QueuePool limit of size 5 overflow 10 reached, connection timed out\"}");

    /**
     * Answers the first {@code overloads} log-batch requests as an exhausted server pool, then
     * holds each one {@code hold} and counts how many were in the server at once.
     */
    static final class Overloaded implements Function<Request, Answer> {
        final AtomicInteger overloadsLeft;
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();
        final AtomicInteger stored = new AtomicInteger();
        final Duration hold;

        Overloaded(int overloads, Duration hold) {
            this.overloadsLeft = new AtomicInteger(overloads);
            this.hold = hold;
        }

        @Override
        public Answer apply(Request r) {
            if (!r.uri().endsWith("log-batch")) {
                return Answer.json(200, r.uri().endsWith("runs/create") ? RUN : "{}");
            }
            if (overloadsLeft.getAndDecrement() > 0) {
                return POOL_TIMEOUT;
            }
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                Thread.sleep(hold.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inside.decrementAndGet();
            }
            stored.addAndGet(r.body().split("\"key\"").length - 1);
            return Answer.json(200, "{}");
        }
    }

    @Test
    void overloadHalvesTheLimitNotBelowOneAndStoredBatchesClimbBackByOnePerLimitsWorth() {
        WriteLimit limit = new WriteLimit(2); // family-rules.yaml congestion: 4 per unit of batchConcurrency
        assertEquals(8, limit.limit());
        limit.overloaded();
        assertEquals(4, limit.limit());
        limit.overloaded();
        limit.overloaded();
        limit.overloaded();
        assertEquals(1, limit.limit(), "not below one");
        assertEquals(4, limit.decreases());
        limit.stored(); // 1 + 1/1
        assertEquals(2, limit.limit());
        limit.stored(); // 2 + 1/2
        assertEquals(2, limit.limit());
        limit.stored(); // 2.5 + 1/2.5 = 2.9
        limit.stored(); // 2.9 + 1/2.9 = 3.24
        assertEquals(3, limit.limit(), "one more per limit's worth of successes");
        for (int i = 0; i < 100; i++) {
            limit.stored();
        }
        assertEquals(8, limit.limit(), "up to the ceiling, never past it");
        assertEquals(4, new WriteLimit(0).ceiling(), "a batchConcurrency below one counts as one");
    }

    @Test
    void theLimitStaysUnderTheServersPoolWhateverTheBatchConcurrency() {
        // 15 log-batch requests in one server worker deadlock its pool (tests/faults/test_pool_deadlock.py).
        assertEquals(12, new WriteLimit(3).limit());
        WriteLimit wide = new WriteLimit(8); // 4 per unit would be 32
        assertEquals(14, wide.limit());
        assertEquals(14, wide.ceiling());
        for (int i = 0; i < 100; i++) {
            wide.stored();
        }
        assertEquals(14, wide.limit());
    }

    @Test
    void aFullLimitWaitsForAFreedSlotAndAtMostTheTimeout() throws Exception {
        WriteLimit limit = new WriteLimit(1);
        for (int i = 0; i < 3; i++) {
            limit.overloaded(); // 4 -> 1: one request at a time
        }
        WriteLimit.Slot held = limit.acquire(Duration.ofSeconds(1));
        CountDownLatch second = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            WriteLimit.Slot slot = limit.acquire(Duration.ofSeconds(30));
            second.countDown();
            slot.close();
        });
        waiter.start();
        assertTrue(!second.await(200, TimeUnit.MILLISECONDS), "the second request waited while the first was in flight");
        held.close();
        assertTrue(second.await(5, TimeUnit.SECONDS), "closing the first slot let the second go");
        waiter.join(5_000);
        // No slot is ever freed here: the wait ends at its bound and the request goes anyway.
        WriteLimit.Slot a = limit.acquire(Duration.ofSeconds(1));
        WriteLimit.Slot b = limit.acquire(Duration.ofMillis(100));
        assertEquals(2, limit.peak(), "a limit never turns into a hang");
        a.close();
        b.close();
    }

    @Test
    void aSlotHoldsAHostWriteSlotUntilItIsClosed(@TempDir Path tmp) {
        URI server = URI.create("http://127.0.0.1:5000");
        WriteLimit limit = new WriteLimit(2, HostSlots.forServer(server, 1, tmp));
        HostSlots sameHost = HostSlots.forServer(server, 1, tmp); // another client of the server in this JVM
        WriteLimit.Slot slot = limit.acquire(Duration.ofSeconds(1));
        assertEquals(-1, sameHost.acquire(Duration.ofMillis(50)).index(), "the one host slot is held by the write");
        // The window has room for a second write, the host none: it waits the timeout, then goes anyway.
        long start = System.nanoTime();
        WriteLimit.Slot second = limit.acquire(Duration.ofMillis(150));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(140), "waited for a host slot");
        assertEquals(2, limit.peak());
        second.close();
        slot.close();
        HostSlots.Held freed = sameHost.acquire(Duration.ofMillis(50));
        assertEquals(0, freed.index(), "closing the slot gave the host slot back");
        freed.close();
    }

    @Test
    void onlyOverloadAnswersLowerTheClientsLimit() throws Exception {
        try (StubServer stub = new StubServer();
             Transport transport = new Transport(stub.config().maxRetries(5).build())) {
            WriteLimit limit = transport.writeLimit();
            Runnable logBatch = () -> transport.call(Routes.RUNS_LOG_BATCH, Query.of(),
                    Json.tryParse("{\"run_id\":\"r1\",\"metrics\":[{\"key\":\"m\",\"value\":1,\"timestamp\":1,\"step\":0}]}"));
            assertEquals(8, limit.limit(), "batchConcurrency 2 x 4 calls' worth");

            stub.then(POOL_TIMEOUT).then(POOL_TIMEOUT).then(POOL_TIMEOUT).then(Answer.json(200, "{}"));
            logBatch.run();
            assertEquals(3, limit.decreases(), "each overload answer, retried, halved the limit");
            assertEquals(1, limit.limit(), "8 -> 4 -> 2 -> 1");

            stub.then(Answer.json(503, "{}")).then(Answer.json(200, "{}"));
            logBatch.run();
            assertEquals(4, limit.decreases(), "a proxy's 503 is overload too");

            stub.then(Answer.json(500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"boom\"}"))
                    .then(Answer.json(200, "{}"));
            logBatch.run();
            assertEquals(4, limit.decreases(), "a plain 500 is retried but says nothing about load");

            stub.then(Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"bad\"}"));
            assertThrows(InvalidParameterValueError.class,
                    logBatch::run);
            assertEquals(4, limit.decreases(), "a refused request is not overload");

            int before = stub.requests.size();
            stub.otherwise(r -> Answer.json(500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"boom\"}"));
            assertThrows(ServerError.class,
                    logBatch::run);
            assertEquals(6, stub.requests.size() - before, "retries spent");
            assertEquals(4, limit.decreases());
        }
    }

    @Test
    void threadsOfOneClientShareTheLimitOverloadLowered() throws Exception {
        Overloaded server = new Overloaded(4, Duration.ofMillis(150));
        try (StubServer stub = new StubServer().otherwise(server);
             MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(5).build())) {
            // 8 -> 4 -> 2 -> 1 -> 1, then stored: 2.
            client.runs().logBatch("r1", ConcurrentBatchTest.metrics(10), List.of(), List.of());
            assertEquals(4, threadsAtOnce(client, 4), "every thread's batch was sent");
            assertTrue(server.most.get() <= 2, "after overload at most 2 requests in flight, saw " + server.most.get());
            assertEquals(10 + 4 * 1000, server.stored.get());
        }
    }

    @Test
    void theBackgroundLoggersOverloadAnswersSlowTheSameClientsLogBatch() throws Exception {
        Overloaded server = new Overloaded(4, Duration.ofMillis(150));
        try (StubServer stub = new StubServer().otherwise(server);
             MlflowRestClient client = MlflowRestClient.create(stub.config().maxRetries(5).build());
             ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofSeconds(60)))) {
            for (int step = 0; step < 10; step++) {
                run.logMetric("loss", 1.0 / (step + 1), step);
            }
            run.flush(Duration.ofSeconds(30)); // the logger met the four overload answers
            assertTrue(server.overloadsLeft.get() <= 0, "the overload answers went to the logger");
            assertEquals(4, threadsAtOnce(client, 4));
            assertTrue(server.most.get() <= 2, "logBatch kept to the limit the logger's answers lowered, saw "
                    + server.most.get());
        }
    }

    /** logBatch of 1000 points from {@code threads} threads started together; returns how many finished. */
    private static int threadsAtOnce(MlflowRestClient client, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                go.await();
                return client.runs().logBatch("r1", ConcurrentBatchTest.metrics(1000), List.of(), List.of());
            }));
        }
        go.countDown();
        int finished = 0;
        for (Future<Integer> f : done) {
            finished += f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        return finished;
    }
}
