package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.InvalidParameterValueError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunStatus;

/** Idempotency keys against a real server: retried and concurrent starts make one run. */
class IdempotencyIntegrationTest {
    private static List<Run> withKey(MlflowRestClient client, String exp, String key) {
        List<Run> runs = new ArrayList<>();
        client.runs().search(List.of(exp), SearchOptions.filter("tags.`mlflowrest.idempotency_key` = '" + key + "'"))
                .forEach(runs::add);
        return runs;
    }

    @Test
    void retriedTaskResumesItsRunAndAFinishedOneIsLeftAlone() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("idem"));
            RunOptions options = RunOptions.inExperiment(exp).named("group-7").idempotencyKey("job-1/group-7");
            assertThrows(IllegalStateException.class, () -> client.withRun(options, run -> {
                run.logParam("alpha", "0.5");
                throw new IllegalStateException("executor lost");
            }));
            String first = withKey(client, exp, "job-1/group-7").get(0).getInfo().getRunId();
            assertEquals(RunStatus.FAILED, client.runs().get(first).getInfo().getStatus());

            try (ActiveRun second = client.startRun(options)) {
                assertTrue(second.resumed());
                assertFalse(second.alreadyFinished());
                assertEquals(first, second.getId());
                assertEquals(RunStatus.RUNNING, client.runs().get(first).getInfo().getStatus());
                second.logParam("alpha", "0.5");
            }
            long endTime = client.runs().get(first).getInfo().getEndTime();
            assertEquals(RunStatus.FINISHED, client.runs().get(first).getInfo().getStatus());
            try (ActiveRun third = client.startRun(options)) {
                assertTrue(third.alreadyFinished());
            }
            assertEquals(endTime, client.runs().get(first).getInfo().getEndTime());
            assertEquals(1, withKey(client, exp, "job-1/group-7").size());
            assertEquals(first, client.runs().startOrResume(exp, null, Map.of(), "job-1/group-7").run()
                    .getInfo().getRunId());
        }
    }

    @Test
    void concurrentStartersWithOneKeyEndWithOneRun() throws Exception {
        int starters = 8;
        try (MlflowRestClient setup = LiveServer.client()) {
            String exp = setup.experiments().create(LiveServer.unique("idem-race"));
            CyclicBarrier barrier = new CyclicBarrier(starters);
            Set<String> got = ConcurrentHashMap.newKeySet();
            ExecutorService pool = Executors.newFixedThreadPool(starters);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < starters; i++) {
                futures.add(pool.submit(() -> {
                    try (MlflowRestClient client = LiveServer.client()) {
                        barrier.await(60, TimeUnit.SECONDS);
                        got.add(client.runs().startOrResume(exp, null, Map.of(), "speculative").run()
                                .getInfo().getRunId());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertEquals(1, got.size(), "starters got different runs: " + got);
            assertEquals(List.copyOf(got), withKey(setup, exp, "speculative").stream()
                    .map(r -> r.getInfo().getRunId()).toList());
        }
    }

    @Test
    void badKeyIsATypedErrorNamingTheField() {
        try (MlflowRestClient client = LiveServer.client()) {
            for (String bad : List.of("", "it's", "a\"b", "x".repeat(251))) {
                InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                        () -> client.runs().startOrResume("0", null, Map.of(), bad));
                assertEquals("idempotencyKey", e.field());
            }
        }
    }
}
