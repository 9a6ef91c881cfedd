package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.journal.Sync;
import io.mlflowrest.journal.SyncReport;
import io.mlflowrest.unit.StubServer.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal written by another SDK, typed here from docs/journal.md alone (not by this SDK's
 * writer): sync reads it, binds its local ids and sends its calls in seq order, skipping what
 * is settled, and leaves a file whose writer is alive on this host alone.
 */
class ForeignJournalTest {
    private static final String EXP = "local-" + "e".repeat(32);
    private static final String RUN = "local-" + "f".repeat(32);
    private static final String SESSION = "0123456789abcdef0123456789abcdef";

    private static String journal(long pid, boolean closed) {
        return String.join("\n",
                "{\"type\":\"open\",\"format\":\"mlflowrest-journal\",\"version\":1,\"session\":\"" + SESSION + "\","
                        + "\"sdk\":\"r\",\"sdk_version\":\"0.1.0\",\"pid\":" + pid + ",\"host\":\"" + host() + "\","
                        + "\"created_ms\":1,\"mode\":\"offline\",\"tracking_uri\":null}",
                "{\"type\":\"call\",\"seq\":1,\"request_id\":\"r1\",\"operation\":\"createExperiment\",\"method\":\"POST\","
                        + "\"path\":\"/api/2.0/mlflow/experiments/create\",\"body\":{\"name\":\"from-r\"},\"time_ms\":1,"
                        + "\"binds\":{\"field\":\"experiment_id\",\"local\":\"" + EXP + "\"}}",
                "{\"seq\":2,\"type\":\"call\",\"request_id\":\"r2\",\"operation\":\"createRun\",\"method\":\"POST\","
                        + "\"path\":\"/api/2.0/mlflow/runs/create\",\"time_ms\":2,\"binds\":{\"local\":\"" + RUN + "\","
                        + "\"field\":\"run.info.run_id\"},\"body\":{\"experiment_id\":\"" + EXP + "\",\"tags\":"
                        + "[{\"key\":\"mlflowrest.idempotency_key\",\"value\":\"" + RUN + "\"}]}}",
                "{\"type\":\"call\",\"seq\":3,\"request_id\":\"r3\",\"operation\":\"logParam\",\"method\":\"POST\","
                        + "\"path\":\"/api/2.0/mlflow/runs/log-parameter\",\"body\":{\"run_id\":\"" + RUN + "\","
                        + "\"run_uuid\":\"" + RUN + "\",\"key\":\"alpha\",\"value\":\"0.5\"},\"time_ms\":3}",
                "{\"type\":\"call\",\"seq\":4,\"request_id\":\"r4\",\"operation\":\"setTag\",\"method\":\"POST\","
                        + "\"path\":\"/api/2.0/mlflow/runs/set-tag\",\"body\":{\"run_id\":\"" + RUN + "\",\"key\":\"t\","
                        + "\"value\":\"already sent\"},\"time_ms\":4}",
                "{\"type\":\"done\",\"seq\":4,\"status\":200,\"time_ms\":5}",
                "{\"type\":\"call\",\"seq\":5,\"request_id\":\"r5\",\"operation\":\"updateRun\",\"method\":\"POST\","
                        + "\"path\":\"/api/2.0/mlflow/runs/update\",\"body\":{\"run_id\":\"" + RUN + "\",\"status\":\"FINISHED\"},"
                        + "\"time_ms\":6}",
                closed ? "{\"type\":\"close\",\"time_ms\":7}" : "", "");
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    private static StubServer server() throws Exception {
        StubServer stub = new StubServer();
        stub.otherwise(r -> r.uri().endsWith("/experiments/create") ? Answer.json(200, "{\"experiment_id\":\"12\"}")
                : r.uri().endsWith("/runs/create") ? Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"abc\"}}}")
                : r.uri().endsWith("/runs/search") ? Answer.json(200, "{}") : Answer.json(200, "{}"));
        return stub;
    }

    @Test
    void anotherSdksJournalIsSyncedInSeqOrderWithIdsBound(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("journal-" + SESSION + ".jsonl");
        Files.writeString(file, journal(999_999_999L, true));
        Files.writeString(dir.resolve("notes.txt"), "not a journal: ignored");
        try (StubServer stub = server()) {
            SyncReport report = Sync.sync(dir, stub.config().build(), false);
            assertTrue(report.ok(), report.toString());
            assertEquals(Map.of(RUN, "abc"), report.runs());
            assertEquals(4, report.sent(), report.toString());
            List<String> sent = stub.requests.stream().map(r -> r.uri().replace("/api/2.0/mlflow/", ""))
                    .collect(Collectors.toList());
            assertEquals(List.of("experiments/create", "runs/search", "runs/create", "runs/log-parameter", "runs/update"), sent);
            assertTrue(stub.requests.get(1).body().contains("\"experiment_ids\":[\"12\"]"), stub.requests.get(1).body());
            assertTrue(stub.requests.get(2).body().contains("\"experiment_id\":\"12\""));
            assertTrue(stub.requests.get(3).body().contains("\"run_id\":\"abc\",\"run_uuid\":\"abc\""), stub.requests.get(3).body());
            String after = Files.readString(file);
            assertTrue(after.contains("{\"type\":\"bind\",\"seq\":2,\"local\":\"" + RUN + "\",\"remote\":\"abc\"}"), after);
        }
    }

    @Test
    void aFileWhoseWriterIsAliveIsSkippedUnlessIncluded(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("journal-" + SESSION + ".jsonl"), journal(ProcessHandle.current().pid(), false));
        try (StubServer stub = server()) {
            SyncReport skipped = Sync.sync(dir, stub.config().build(), false);
            assertTrue(skipped.files().get(0).skipped().contains("pid " + ProcessHandle.current().pid()), skipped.toString());
            assertEquals(0, stub.requests.size());
            SyncReport included = Sync.sync(dir, stub.config().build(), true);
            assertEquals(4, included.sent(), included.toString());
        }
    }

    @Test
    void aJournalModeCreateWhoseAnswerWasLostIsFoundByItsRequestId(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("journal-" + SESSION + ".jsonl"), String.join("\n",
                "{\"type\":\"open\",\"format\":\"mlflowrest-journal\",\"version\":1,\"session\":\"" + SESSION + "\","
                        + "\"sdk\":\"python\",\"sdk_version\":\"0.1.0\",\"pid\":999999999,\"host\":\"" + host() + "\","
                        + "\"created_ms\":1,\"mode\":\"journal\",\"tracking_uri\":\"http://127.0.0.1:1\"}",
                "{\"type\":\"call\",\"seq\":1,\"request_id\":\"req1\",\"operation\":\"createRun\",\"method\":\"POST\","
                        + "\"path\":\"/api/2.0/mlflow/runs/create\",\"body\":{\"experiment_id\":\"3\",\"tags\":"
                        + "[{\"key\":\"mlflow.mlflowrest.requestId\",\"value\":\"req1\"}]},\"time_ms\":1}", ""));
        try (StubServer stub = new StubServer()) {
            stub.otherwise(r -> r.uri().endsWith("/runs/search") ? Answer.json(200, "{\"runs\":[{\"info\":{\"run_id\":\"made\"}}]}")
                    : Answer.json(500, "{}"));
            SyncReport report = Sync.sync(dir, stub.config().build(), false);
            assertEquals(1, report.alreadyPresent(), report.toString());
            assertTrue(stub.requests.get(0).body().contains("mlflow.mlflowrest.requestId` = 'req1'"), stub.requests.get(0).body());
            assertTrue(stub.requests.stream().noneMatch(r -> r.uri().endsWith("/runs/create")), "no second run");
        }
    }
}
