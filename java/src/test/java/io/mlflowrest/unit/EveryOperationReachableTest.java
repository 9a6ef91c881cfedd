package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.mlflowrest.generated.api.Api;
import io.mlflowrest.generated.model.CreateExperiment;
import io.mlflowrest.generated.model.ExperimentTag;
import io.mlflowrest.generated.model.GetRunParams;
import io.mlflowrest.generated.model.GetRunResponse;
import io.mlflowrest.generated.model.RunStatus;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Walks openapi/mlflow.yaml: every operation is callable from Java and sent to its route. */
class EveryOperationReachableTest {
    private static final Pattern PATH = Pattern.compile("^  (/\\S+):\\s*$");
    private static final Pattern METHOD = Pattern.compile("^    (get|post|put|patch|delete):\\s*$");
    private static final Pattern ID = Pattern.compile("^      operationId: (\\S+)\\s*$");
    private static final Pattern EXT = Pattern.compile("^      x-mlflowrest-(resource|method|alias-of): (\\S+)\\s*$");

    private static final String RUN = "0123456789abcdef0123456789abcdef";
    /** Arguments that pass the checks made before sending (OperationChecks); other operations get none. */
    static final Map<String, Map<String, Object>> VALID = Map.ofEntries(
            Map.entry("createExperiment", Map.of("name", "e")),
            Map.entry("setExperimentTag", Map.of("experiment_id", "1", "key", "k", "value", "v")),
            Map.entry("updateExperiment", Map.of("experiment_id", "1", "new_name", "n")),
            Map.entry("setModelVersionTag", Map.of("name", "m", "version", "1", "key", "k", "value", "v")),
            Map.entry("setRegisteredModelAlias", Map.of("name", "m", "alias", "champion", "version", "1")),
            Map.entry("setRegisteredModelTag", Map.of("name", "m", "key", "k", "value", "v")),
            Map.entry("createRun", Map.of("experiment_id", "1")),
            Map.entry("logBatch", Map.of("run_id", RUN)),
            Map.entry("logMetric", Map.of("run_id", RUN, "key", "k", "value", 1.0, "timestamp", 1, "step", 0)),
            Map.entry("logParam", Map.of("run_id", RUN, "key", "k", "value", "v")),
            Map.entry("setTag", Map.of("run_id", RUN, "key", "k", "value", "v")));

    record SpecOp(String id, String method, String path, Map<String, String> ext) {
        /** The generated method's name: x-mlflowrest-method in camel case, an alias's with Via + its HTTP method. */
        String javaMethod() {
            String name = camel(ext.get("method"));
            return ext.containsKey("alias-of") ? name + "Via" + method.charAt(0) + method.substring(1).toLowerCase() : name;
        }

        String resource() {
            return camel(ext.get("resource"));
        }
    }

    static String camel(String snake) {
        StringBuilder out = new StringBuilder();
        for (String part : snake.split("_")) {
            out.append(out.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return out.toString();
    }

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
                ops.add(new SpecOp(m.group(1), method, path, new HashMap<>()));
            } else if ((m = EXT.matcher(line)).matches() && !ops.isEmpty()) {
                ops.get(ops.size() - 1).ext().put(m.group(1), m.group(2));
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
                Map<String, Object> args = new HashMap<>(VALID.getOrDefault(op.id(), Map.of()));
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

    /** The generated layer: a method per operation, found by the spec's x-mlflowrest names, sending to its route. */
    @Test
    void everySpecOperationHasATypedMethod(@TempDir Path tmp) throws Exception {
        List<SpecOp> ops = specOperations();
        Path file = Files.writeString(tmp.resolve("body.bin"), "bytes");
        List<String> wrong = new ArrayList<>();
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            Api api = client.api();
            for (SpecOp op : ops) {
                if (op.ext().get("resource") == null || op.ext().get("method") == null) {
                    wrong.add(op.id() + ": no x-mlflowrest-resource/method in the spec");
                    continue;
                }
                Object resource = Api.class.getMethod(op.resource()).invoke(api);
                Method method = Arrays.stream(resource.getClass().getMethods())
                        .filter(m -> m.getName().equals(op.javaMethod())).findFirst().orElse(null);
                if (method == null) {
                    wrong.add(op.id() + ": no " + op.resource() + "()." + op.javaMethod());
                    continue;
                }
                Object[] args = new Object[method.getParameterCount()];
                for (int i = 0; i < args.length; i++) {
                    Class<?> type = method.getParameterTypes()[i];
                    args[i] = type == String.class ? "p1" : type == Path.class ? file
                            : VALID.containsKey(op.id()) ? new ObjectMapper().convertValue(VALID.get(op.id()), type) : null;
                }
                int before = stub.requests.size();
                Object answer = method.invoke(resource, args);
                if (answer instanceof AutoCloseable stream) {
                    stream.close();
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
    void typedRequestsAndAnswersTravelAsTheApiNamesThem() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            stub.then(StubServer.Answer.json(200, "{\"run\":{\"info\":{\"run_id\":\"r9\",\"status\":\"RUNNING\"}}}"));
            GetRunResponse got = client.api().runs().get(new GetRunParams("r9", null));
            assertEquals("r9", got.run().info().runId());
            assertEquals(RunStatus.RUNNING, got.run().info().status());
            assertEquals("/api/2.0/mlflow/runs/get?run_id=r9", stub.requests.get(0).uri());
            client.api().experiments().create(new CreateExperiment("e", null, List.of(new ExperimentTag("k", "v"))));
            assertEquals("{\"name\":\"e\",\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}", stub.requests.get(1).body());
            InvalidParameterValueError blank = assertThrows(InvalidParameterValueError.class,
                    () -> client.api().loggedModels().get(" "));
            assertEquals("model_id", blank.field());
        }
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
