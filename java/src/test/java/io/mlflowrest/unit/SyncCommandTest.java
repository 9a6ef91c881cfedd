package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.cli.Main;
import io.mlflowrest.unit.StubServer.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `java -jar mlflowrest-cli.jar sync DIR`: exit 0 when nothing failed or waits, 1 otherwise, 2 for bad usage. */
class SyncCommandTest {
    private static final String SESSION = "abcdefabcdefabcdefabcdefabcdefab";

    private static void journal(Path dir) throws Exception {
        Files.writeString(dir.resolve("journal-" + SESSION + ".jsonl"),
                "{\"type\":\"open\",\"format\":\"mlflowrest-journal\",\"version\":1,\"session\":\"" + SESSION + "\",\"sdk\":\"python\","
                        + "\"sdk_version\":\"0\",\"pid\":999999999,\"host\":\"elsewhere\",\"created_ms\":1,\"mode\":\"journal\","
                        + "\"tracking_uri\":\"http://127.0.0.1:1\"}\n"
                        + "{\"type\":\"call\",\"seq\":1,\"request_id\":\"q\",\"operation\":\"logParam\",\"method\":\"POST\","
                        + "\"path\":\"/api/2.0/mlflow/runs/log-parameter\",\"body\":{\"run_id\":\"r\",\"key\":\"a\",\"value\":\"1\"},"
                        + "\"time_ms\":1}\n");
    }

    @Test
    void exitStatusSaysWhetherEverythingWasSettled(@TempDir Path ok, @TempDir Path refused) throws Exception {
        journal(ok);
        journal(refused);
        try (StubServer stub = new StubServer()) {
            assertEquals(0, Main.run(new String[] {"sync", ok.toString()}, Map.of("MLFLOW_TRACKING_URI", stub.url())));
            stub.otherwise(r -> Answer.json(400, "{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"changed\"}"));
            assertEquals(1, Main.run(new String[] {"sync", refused.toString(), "--tracking-uri", stub.url()}, Map.of()));
            assertTrue(Files.readString(refused.resolve("journal-" + SESSION + ".jsonl")).contains("\"type\":\"failed\""));
        }
        assertEquals(2, Main.run(new String[] {"sync"}, Map.of()));
        assertEquals(2, Main.run(new String[] {"push", ok.toString()}, Map.of()));
        assertEquals(1, Main.run(new String[] {"sync", ok.resolve("missing").toString()}, Map.of("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")));
    }
}
