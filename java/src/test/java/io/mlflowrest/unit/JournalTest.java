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
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.JournalError;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.journal.JournalReader;
import io.mlflowrest.internal.journal.JournalWriter;
import io.mlflowrest.unit.StubServer.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal's writer and reader (docs/journal.md), and journal mode against a stub server. */
class JournalTest {
    private static final String RUN = "{\"run\":{\"info\":{\"run_id\":\"r1\",\"experiment_id\":\"1\"}}}";

    static List<ObjectNode> records(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            Path file = files.filter(p -> p.getFileName().toString().matches("journal-[0-9a-f]{32}\\.jsonl"))
                    .findFirst().orElseThrow();
            return JournalReader.read(file).records();
        }
    }

    static List<String> types(List<ObjectNode> records) {
        return records.stream().map(r -> r.path("type").asText() + (r.has("operation") ? ":" + r.path("operation").asText() : ""))
                .collect(Collectors.toList());
    }

    @Test
    void eachRecordIsOneLineAndReadsBack(@TempDir Path dir) {
        Path file = dir.resolve("journal-" + "a".repeat(32) + ".jsonl");
        try (JournalWriter w = JournalWriter.open(file, JournalWriter.Fsync.ALWAYS, 1.0)) {
            w.append(Json.object().put("type", "open").put("note", "line\nbreak"));
            w.append(Json.object().put("type", "close"));
        }
        JournalReader.Contents c = JournalReader.read(file);
        assertEquals(2, c.records().size());
        assertEquals("line\nbreak", c.records().get(0).path("note").asText());
        assertEquals(0, c.tornLines());
    }

    @Test
    void aTornLastLineIsIgnoredAndCutWhenTheFileIsReopened(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("journal-" + "b".repeat(32) + ".jsonl");
        Files.writeString(file, "{\"type\":\"open\"}\n{\"type\":\"call\",\"seq\":1}\n{\"type\":\"do", StandardCharsets.UTF_8);
        JournalReader.Contents c = JournalReader.read(file);
        assertEquals(2, c.records().size());
        assertEquals(1, c.tornLines());
        try (JournalWriter w = JournalWriter.open(file, JournalWriter.Fsync.NEVER, 1.0)) {
            w.append(Json.object().put("type", "done").put("seq", 1));
        }
        assertEquals("{\"type\":\"open\"}\n{\"type\":\"call\",\"seq\":1}\n{\"type\":\"done\",\"seq\":1}\n",
                Files.readString(file));
        assertEquals(0, JournalReader.read(file).tornLines());
    }

    @Test
    void aCorruptLineInTheMiddleIsAnErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("journal-" + "c".repeat(32) + ".jsonl");
        Files.writeString(file, "{\"type\":\"open\"}\n{not json\n{\"type\":\"close\"}\n");
        JournalError e = assertThrows(JournalError.class, () -> JournalReader.read(file));
        assertEquals(2, e.line());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aFullDiskIsAnErrorNamingTheJournalFile() {
        Path full = Path.of("/dev/full");
        JournalWriter w = JournalWriter.open(full, JournalWriter.Fsync.NEVER, 1.0);
        JournalError e = assertThrows(JournalError.class, () -> w.append(Json.object().put("type", "close")));
        assertEquals(full, e.file());
        assertTrue(e.getMessage().contains("/dev/full"), e.getMessage());
    }

    @Test
    void journalModeRecordsEachWriteBeforeSendingAndMarksItDone(@TempDir Path dir) throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.then(Answer.json(200, RUN));
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().journalDir(dir).build())) {
                try (ActiveRun run = client.startRun("1")) {
                    run.logParam("alpha", "0.5");
                    client.runs().get("r1"); // a read: never journaled
                }
                assertEquals(0, client.leftForSync());
            }
            List<ObjectNode> records = records(dir);
            assertEquals(List.of("open", "call:createRun", "done", "call:logParam", "done", "call:updateRun", "done",
                    "close"), types(records));
            assertEquals("/api/2.0/mlflow/runs/log-parameter", records.get(3).path("path").asText());
            assertEquals("0.5", records.get(3).path("body").path("value").asText());
            assertEquals("java", records.get(0).path("sdk").asText());
            assertEquals("journal", records.get(0).path("mode").asText());
        }
    }

    @Test
    void aRefusedWriteIsRecordedFailedAndRaised(@TempDir Path dir) throws Exception {
        try (StubServer stub = new StubServer();
             MlflowRestClient client = MlflowRestClient.create(stub.config().journalDir(dir).build())) {
            stub.then(Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"changed param\"}"));
            assertThrows(InvalidParameterValueError.class, () -> client.runs().logParam("r1", "alpha", "1"));
            List<ObjectNode> records = records(dir);
            assertEquals(List.of("open", "call:logParam", "failed"), types(records));
            assertEquals("INVALID_PARAMETER_VALUE", records.get(2).path("error_code").asText());
            assertEquals(400, records.get(2).path("status").asInt());
        }
    }

    @Test
    void anUnreachableServerKeepsLoggingInTheJournalAndEndRunReportsWhatIsLeft(@TempDir Path dir) throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.then(Answer.json(200, RUN)).otherwise(r -> Answer.json(503, "{\"error_code\":\"TEMPORARILY_UNAVAILABLE\"}"));
            ClientConfig config = stub.config().maxRetries(0).journalDir(dir).flushTimeout(Duration.ofMillis(300)).build();
            try (MlflowRestClient client = MlflowRestClient.create(config)) {
                try (ActiveRun run = client.startRun(RunOptions.inExperiment("1").logInBackground(Duration.ofMillis(10)))) {
                    for (int i = 0; i < 2500; i++) {
                        run.logMetric("loss", i, 1_700_000_000_000L + i, i);
                    }
                    run.logParam("alpha", "0.5"); // synchronous: kept too, not raised
                } // no exception: the run ends locally
                long left = client.leftForSync();
                assertTrue(left >= 3, "log-batch, log-param and update left, got " + left);
            }
            List<ObjectNode> records = records(dir);
            long points = records.stream().filter(r -> "logBatch".equals(r.path("operation").asText()))
                    .mapToLong(r -> r.path("body").path("metrics").size()).sum();
            assertEquals(2500, points, "every point is in the journal");
            assertTrue(records.stream().noneMatch(r -> r.path("type").asText().equals("done") && r.path("seq").asLong() > 1));
        }
    }

    @Test
    void theJournalVariablesAreRead() {
        ClientConfig c = ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "http://h:5000",
                "MLFLOWREST_JOURNAL_DIR", "/tmp/j", "MLFLOWREST_JOURNAL_FSYNC", "ALWAYS",
                "MLFLOWREST_JOURNAL_FSYNC_INTERVAL", "0.25", "MLFLOWREST_JOURNAL_ON_UNREACHABLE", "raise"), Path.of("/nonexistent"));
        assertEquals(Path.of("/tmp/j"), c.journalDir());
        assertEquals("always", c.journalFsync());
        assertEquals(0.25, c.journalFsyncIntervalSeconds());
        assertEquals("raise", c.journalOnUnreachable());
        InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, () -> ClientConfig.fromEnvironment(
                Map.of("MLFLOW_TRACKING_URI", "http://h", "MLFLOWREST_JOURNAL_FSYNC", "sometimes"), Path.of("/nonexistent")));
        assertEquals("MLFLOWREST_JOURNAL_FSYNC", e.field());
        ClientConfig offline = ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "offline:/tmp/off"), Path.of("/x"));
        assertTrue(offline.offline());
        assertEquals("offline:/tmp/off", offline.trackingUri().toString());
        assertEquals(Path.of("/tmp/off"), offline.journalDir());
        assertFalse(c.offline());
    }
}
