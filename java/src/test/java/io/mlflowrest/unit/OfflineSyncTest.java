package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.ActiveRun;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.errors.JournalError;
import io.mlflowrest.journal.Sync;
import io.mlflowrest.journal.SyncReport;
import io.mlflowrest.unit.StubServer.Answer;
import io.mlflowrest.unit.StubServer.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offline mode records with local ids and reads nothing; sync replays it once, however often it runs. */
class OfflineSyncTest {
    private static MlflowRestClient offline(Path dir) {
        return MlflowRestClient.create(ClientConfig.builder().trackingUri("offline:" + dir).build());
    }

    /** Records one run offline as a user would; returns its local id. */
    private static String recordRun(Path dir, Path work) throws Exception {
        Files.writeString(work.resolve("summary.json"), "{\"groups\": 3}");
        Path model = Files.createDirectories(work.resolve("model").resolve("conf")).getParent();
        Files.writeString(model.resolve("conf").resolve("params.txt"), "alpha=0.5\n");
        try (MlflowRestClient client = offline(dir)) {
            String experiment = client.experiments().create("offline-exp");
            assertTrue(experiment.matches("local-[0-9a-f]{32}"), experiment);
            try (ActiveRun run = client.startRun(RunOptions.inExperiment(experiment).named("offline-run")
                    .logInBackground(java.time.Duration.ofMillis(50)))) {
                run.logParam("alpha", "0.5");
                run.setTag("team", "ml");
                for (int step = 0; step < 100; step++) {
                    run.logMetric("loss", 1.0 / (step + 1), 1_700_000_000_000L + step, step);
                }
                run.logArtifact(work.resolve("summary.json"), "reports");
                run.logArtifacts(model, "model");
                assertThrows(JournalError.class, () -> client.runs().get(run.getId()), "reads need a server");
                return run.getId();
            }
        }
    }

    /** A stub that answers like MLflow for what sync sends, counting creates. */
    private static StubServer mlflowLike(int[] creates, boolean[] runExists) throws Exception {
        StubServer stub = new StubServer();
        stub.otherwise((Request r) -> {
            String uri = r.uri();
            if (uri.endsWith("/experiments/create")) {
                creates[0]++;
                return creates[0] == 1 ? Answer.json(200, "{\"experiment_id\":\"7\"}")
                        : Answer.json(400, "{\"error_code\":\"RESOURCE_ALREADY_EXISTS\",\"message\":\"exists\"}");
            }
            if (uri.contains("/experiments/get-by-name")) {
                return Answer.json(200, "{\"experiment\":{\"experiment_id\":\"7\",\"name\":\"offline-exp\"}}");
            }
            if (uri.endsWith("/runs/search")) {
                return Answer.json(200, runExists[0] ? "{\"runs\":[{\"info\":{\"run_id\":\"r9\"}}]}" : "{}");
            }
            if (uri.endsWith("/runs/create")) {
                creates[1]++;
                runExists[0] = true;
                return Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r9\",\"experiment_id\":\"7\"}}}");
            }
            if (uri.contains("/runs/get")) {
                return Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r9\",\"artifact_uri\":\"mlflow-artifacts:/7/r9/artifacts\"}}}");
            }
            return Answer.json(200, "{}");
        });
        return stub;
    }

    @Test
    void offlineRecordsCreatesWithLocalIdsAndTheIdempotencyTag(@TempDir Path dir, @TempDir Path work) throws Exception {
        String runId = recordRun(dir, work);
        assertTrue(runId.matches("local-[0-9a-f]{32}"), runId);
        List<ObjectNode> records = JournalTest.records(dir);
        assertEquals("offline", records.get(0).path("mode").asText());
        assertTrue(records.get(0).path("tracking_uri").isNull());
        ObjectNode create = records.stream().filter(r -> "createRun".equals(r.path("operation").asText())).findFirst().orElseThrow();
        assertEquals(runId, create.path("binds").path("local").asText());
        assertEquals("run.info.run_id", create.path("binds").path("field").asText());
        assertTrue(create.path("body").path("tags").toString().contains("{\"key\":\"mlflowrest.idempotency_key\",\"value\":\"" + runId + "\"}"));
        List<ObjectNode> artifacts = records.stream().filter(r -> "artifact".equals(r.path("type").asText())).toList();
        assertEquals(2, artifacts.size());
        assertEquals("file", artifacts.get(0).path("kind").asText());
        assertTrue(Files.isRegularFile(dir.resolve(artifacts.get(0).path("file").asText())));
        assertEquals("dir", artifacts.get(1).path("kind").asText());
        assertEquals("alpha=0.5\n", Files.readString(dir.resolve(artifacts.get(1).path("file").asText()).resolve("conf/params.txt")));
        assertEquals("close", records.get(records.size() - 1).path("type").asText());
    }

    @Test
    void syncSendsEverythingOnceAndASecondSyncSendsNothing(@TempDir Path dir, @TempDir Path work) throws Exception {
        String local = recordRun(dir, work);
        int[] creates = new int[2];
        boolean[] runExists = {false};
        try (StubServer stub = mlflowLike(creates, runExists)) {
            SyncReport first = Sync.sync(dir, stub.config().build(), false);
            assertTrue(first.ok(), first.toString());
            assertEquals(Map.of(local, "r9"), first.runs());
            assertEquals(1, creates[1], "one run created");
            long logBatches = stub.requests.stream().filter(r -> r.uri().endsWith("/runs/log-batch")).count();
            assertTrue(logBatches >= 1);
            assertTrue(stub.requests.stream().anyMatch(r -> r.method().equals("PUT")
                    && r.uri().endsWith("/artifacts/7/r9/artifacts/model/conf/params.txt")), "the folder's contents go under model/");
            assertTrue(stub.requests.stream().anyMatch(r -> r.method().equals("PUT")
                    && r.uri().endsWith("/artifacts/7/r9/artifacts/reports/summary.json")));
            assertTrue(stub.requests.stream().filter(r -> r.uri().endsWith("/runs/log-parameter"))
                    .allMatch(r -> r.body().contains("\"run_id\":\"r9\"")), "local ids replaced");
            int sent = stub.requests.size();

            SyncReport second = Sync.sync(dir, stub.config().build(), false);
            assertEquals(0, second.sent() + second.alreadyPresent(), second.toString());
            assertEquals(sent, stub.requests.size(), "nothing sent again");
            assertFalse(Files.exists(dir.resolve("sync.lock")), "the lock is released");
        }
    }

    @Test
    void aSyncKilledAfterTheCreateFindsTheRunInsteadOfMakingAnother(@TempDir Path dir, @TempDir Path work) throws Exception {
        recordRun(dir, work);
        int[] creates = new int[2];
        boolean[] runExists = {true}; // an earlier sync made the run, then died before recording it
        try (StubServer stub = mlflowLike(creates, runExists)) {
            creates[0] = 1; // and the experiment
            SyncReport report = Sync.sync(dir, stub.config().build(), false);
            assertTrue(report.ok(), report.toString());
            assertEquals(0, creates[1], "no second run");
            assertEquals(2, report.alreadyPresent(), report.toString());
        }
    }

    @Test
    void aTornLineIsReportedAndAFileWhoseCreateFailedWaits(@TempDir Path dir, @TempDir Path work) throws Exception {
        recordRun(dir, work);
        Path file;
        try (var files = Files.list(dir)) {
            file = files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow();
        }
        Files.writeString(file, "{\"type\":\"done\",\"se", java.nio.file.StandardOpenOption.APPEND);
        try (StubServer stub = new StubServer()) {
            stub.otherwise(r -> r.uri().endsWith("/experiments/create")
                    ? Answer.json(403, "{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"no\"}") : Answer.json(200, "{}"));
            SyncReport report = Sync.sync(dir, stub.config().build(), false);
            assertFalse(report.ok());
            assertEquals(1, report.files().get(0).torn());
            assertEquals(Map.of("PERMISSION_DENIED", 1), report.files().get(0).failed());
            assertTrue(report.waiting() > 0, report.toString());
            assertTrue(report.toString().contains("torn lines ignored 1"), report.toString());
        }
    }
}
