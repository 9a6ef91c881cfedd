package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Walks openapi/mlflow.yaml: every operation is callable from Java and sent to its route. */
class EveryOperationReachableTest {
    private static final Pattern PATH = Pattern.compile("^  (/\\S+):\\s*$");
    private static final Pattern METHOD = Pattern.compile("^    (get|post|put|patch|delete):\\s*$");
    private static final Pattern ID = Pattern.compile("^      operationId: (\\S+)\\s*$");

    record SpecOp(String id, String method, String path) {}

    static List<SpecOp> specOperations() throws Exception {
        List<SpecOp> ops = new ArrayList<>();
        String path = null;
        String method = null;
        boolean inPaths = false;
        for (String line : Files.readAllLines(Path.of("..", "openapi", "mlflow.yaml"))) {
            if (line.startsWith("paths:")) {
                inPaths = true;
            } else if (!line.startsWith(" ") && !line.isBlank()) {
                inPaths = false;
            }
            if (!inPaths) {
                continue;
            }
            Matcher m;
            if ((m = PATH.matcher(line)).matches()) {
                path = m.group(1);
            } else if ((m = METHOD.matcher(line)).matches()) {
                method = m.group(1).toUpperCase();
            } else if ((m = ID.matcher(line)).matches()) {
                ops.add(new SpecOp(m.group(1), method, path));
            }
        }
        return ops;
    }

    @Test
    void everySpecOperationIsCallable() throws Exception {
        List<SpecOp> ops = specOperations();
        assertTrue(ops.size() > 100, "read " + ops.size() + " operations from the spec");
        List<String> wrong = new ArrayList<>();
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals(ops.size(), client.operations().ids().size());
            for (SpecOp op : ops) {
                Map<String, Object> args = new HashMap<>();
                Matcher params = Pattern.compile("\\{(\\w+)\\}").matcher(op.path());
                while (params.find()) {
                    args.put(params.group(1), "p1");
                }
                int before = stub.requests.size();
                try {
                    client.operations().call(op.id(), args);
                } catch (InvalidParameterValueError streamed) {
                    // byte-streaming operations are the artifacts API's; say so, and check it is one
                    if (!streamed.getMessage().contains("client.artifacts()") || !op.path().contains("artifacts/{")) {
                        wrong.add(op.id() + ": " + streamed.getMessage());
                    }
                    continue;
                }
                StubServer.Request sent = stub.requests.get(before);
                String expected = op.path().replaceAll("\\{\\w+\\}", "p1");
                if (!sent.method().equals(op.method()) || !sent.uri().split("\\?")[0].equals(expected)) {
                    wrong.add(op.id() + ": sent " + sent.method() + " " + sent.uri() + ", spec " + op.method() + " " + op.path());
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void unknownOperationsAndParametersAreNamed() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            assertEquals("operation_id", assertThrows(InvalidParameterValueError.class,
                    () -> client.operations().call("noSuchOperation", Map.of())).field());
            assertEquals("bogus", assertThrows(InvalidParameterValueError.class,
                    () -> client.operations().call("getRun", Map.of("run_id", "r", "bogus", 1))).field());
            client.operations().call("getMetricHistoryBulkInterval", Map.of("run_ids", List.of("a", "b"), "metric_key", "m"));
            assertEquals("/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=a&run_ids=b&metric_key=m",
                    stub.requests.get(0).uri());
        }
    }
}
