// Contract driver for the Java SDK: JSON lines in, JSON lines out (see tests/contract/runner/engine.py).
// Run as a single source file: java -cp java/target/mlflowrest.jar tests/contract/drivers/JavaDriver.java
//
// A spec operation goes to client.api().<resource>().<method>(...), named by the generated
// Operations table (from x-mlflowrest-resource / x-mlflowrest-method), its JSON arguments bound to
// the generated request record. Hand-written below are only what is more than one request:
// artifacts, the fluent run, background logging, the creates that recover by request id
// (one entity per call through lost answers), the chunked logBatch and the paged metric history.

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.ActiveRun;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.generated.Operations;
import io.mlflowrest.generated.api.Api;
import io.mlflowrest.generated.model.WebhookEvent;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow_project.google.protobuf.MessageOrBuilder;
import org.mlflow_project.google.protobuf.util.JsonFormat;

public class JavaDriver {
    static final ObjectMapper JSON = JsonMapper.builder().serializationInclusion(JsonInclude.Include.NON_NULL).build();

    static final JsonFormat.Printer PROTO = JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

    public static void main(String[] args) throws Exception {
        MlflowRestClient client = null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            JsonNode request = JSON.readTree(line);
            ObjectNode answer = JSON.createObjectNode();
            try {
                answer.put("ok", true);
                String op = request.get("op").asText();
                if (op.equals("effectiveConfig")) {
                    answer.set("result", effectiveConfig(request.get("args").get("env")));
                } else if (op.equals("connect")) {
                    client = connect(request.get("args"));
                    answer.putObject("result").put("repr", client.toString());
                } else {
                    if (client == null) client = MlflowRestClient.fromEnvironment();
                    answer.set("result", execute(client, op, request.get("args")));
                }
            } catch (MlflowError e) {
                answer.removeAll();
                answer.put("ok", false);
                ObjectNode error = answer.putObject("error");
                error.put("class", e.getClass().getSimpleName());
                error.put("message", e.getMessage());
                if (e instanceof ApiError api) {
                    error.put("error_code", api.errorCode());
                    if (api.httpStatus() != null) error.put("http_status", api.httpStatus());
                }
                if (e instanceof InvalidParameterValueError bad) {
                    error.put("field", bad.field()).put("limit", bad.limit());
                }
            } catch (RuntimeException e) {
                // Not an SDK error: a defect in the SDK or the driver; the runner reports it as such.
                answer.removeAll();
                answer.put("ok", false);
                answer.putObject("error").put("class", e.getClass().getName()).put("message", String.valueOf(e));
            }
            out.println(JSON.writeValueAsString(answer));
        }
    }

    static JsonNode proto(MessageOrBuilder message) throws Exception {
        return JSON.readTree(PROTO.print(message));
    }

    static ObjectNode wrap(String field, JsonNode value) {
        ObjectNode node = JSON.createObjectNode();
        node.set(field, value);
        return node;
    }

    static <T extends MessageOrBuilder> ArrayNode protos(Iterable<T> items) throws Exception {
        ArrayNode array = JSON.createArrayNode();
        for (T item : items) array.add(proto(item));
        return array;
    }

    static String s(JsonNode args, String name) {
        JsonNode v = args.get(name);
        return v == null || v.isNull() ? null : v.asText();
    }

    static Map<String, String> tags(JsonNode args) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (args.has("tags")) for (JsonNode t : args.get("tags")) tags.put(t.get("key").asText(), t.get("value").asText());
        return tags;
    }

    static double number(JsonNode v) {
        return v.isTextual() ? switch (v.asText()) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v.asText());
        } : v.asDouble();
    }

    static MlflowRestClient connect(JsonNode a) {
        ClientConfig.Builder b = ClientConfig.fromEnvironment().toBuilder().trackingUri(s(a, "tracking_uri"));
        if (s(a, "username") != null) b.basicAuth(s(a, "username"), s(a, "password"));
        if (s(a, "token") != null) b.token(s(a, "token"));
        if (a.has("insecure_tls")) b.insecureTls(a.get("insecure_tls").asBoolean());
        if (s(a, "server_cert_path") != null) b.serverCertPath(Path.of(s(a, "server_cert_path")));
        return MlflowRestClient.create(b.build());
    }

    /** The configuration these variables give (family-rules.yaml, config), secrets masked. */
    static JsonNode effectiveConfig(JsonNode envJson) {
        Map<String, String> env = new TreeMap<>();
        envJson.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        ClientConfig c = ClientConfig.fromEnvironment(env, Path.of(System.getProperty("user.home")));
        ObjectNode o = JSON.createObjectNode();
        o.put("tracking_uri", c.trackingUri().toString()).put("username", c.username())
                .put("password", c.password() == null ? null : "***").put("token", c.token() == null ? null : "***")
                .put("insecure_tls", c.insecureTls())
                .put("server_cert_path", c.serverCertPath() == null ? null : c.serverCertPath().toString())
                .put("client_cert_path", c.clientCertPath() == null ? null : c.clientCertPath().toString())
                .put("max_retries", c.maxRetries()).put("backoff_factor", c.backoffFactorSeconds())
                .put("backoff_jitter", c.backoffJitterSeconds()).put("timeout", c.timeout().toNanos() / 1e9)
                .put("batch_concurrency", c.batchConcurrency()).put("host_write_slots", c.hostWriteSlots())
                .put("overload_timeout", c.overloadTimeout().toMillis() / 1000.0)
                .put("flush_timeout", c.flushTimeout().toMillis() / 1000.0)
                .put("journal_dir", c.journalDir() == null ? null : c.journalDir().toString())
                .put("journal_fsync", c.journalFsync()).put("journal_fsync_interval", c.journalFsyncIntervalSeconds())
                .put("journal_on_unreachable", c.journalOnUnreachable());
        return o;
    }

    static JsonNode execute(MlflowRestClient c, String op, JsonNode a) throws Exception {
        switch (op) {
            case "createExperiment": {
                ObjectNode r = JSON.createObjectNode();
                r.put("experiment_id", c.experiments().create(s(a, "name"), s(a, "artifact_location"), tags(a)));
                return r;
            }
            case "createRun": return wrap("run", proto(c.runs().create(s(a, "experiment_id"), s(a, "run_name"), tags(a))));
            case "createRegisteredModel":
                return wrap("registered_model", proto(c.registeredModels().create(s(a, "name"), s(a, "description"), tags(a))));
            case "createModelVersion":
                return wrap("model_version", proto(c.modelVersions().create(s(a, "name"), s(a, "source"), s(a, "run_id"))));
            case "createLoggedModel":
                return wrap("model", JSON.valueToTree(c.loggedModels().create(s(a, "experiment_id"), s(a, "name"),
                        s(a, "source_run_id"), s(a, "model_type"), Map.of(), Map.of())));
            case "createWebhook": {
                List<WebhookEvent> events = new ArrayList<>();
                for (JsonNode e : a.path("events")) events.add(JSON.treeToValue(e, WebhookEvent.class));
                return wrap("webhook", JSON.valueToTree(c.webhooks().create(s(a, "name"), s(a, "url"), events,
                        s(a, "description"), s(a, "secret"))));
            }
            case "logBatch": {
                List<Metric> metrics = new ArrayList<>();
                for (JsonNode m : a.path("metrics"))
                    metrics.add(Metric.newBuilder().setKey(m.get("key").asText()).setValue(number(m.get("value")))
                            .setTimestamp(int64(m, "timestamp", 0)).setStep(int64(m, "step", 0)).build());
                List<Param> params = new ArrayList<>();
                for (JsonNode p : a.path("params"))
                    params.add(Param.newBuilder().setKey(p.get("key").asText()).setValue(p.get("value").asText()).build());
                List<RunTag> tags = new ArrayList<>();
                for (JsonNode t : a.path("tags"))
                    tags.add(RunTag.newBuilder().setKey(t.get("key").asText()).setValue(t.get("value").asText()).build());
                c.runs().logBatch(s(a, "run_id"), metrics, params, tags);
                return JSON.createObjectNode();
            }
            case "getMetricHistory": return wrap("metrics", protos(c.metrics().history(s(a, "run_id"), s(a, "metric_key"))));
            case "uploadArtifacts": {
                Path local = Path.of(s(a, "local_path"));
                c.artifacts().upload(s(a, "run_id"), local, s(a, "artifact_path"));
                ArrayNode stored = JSON.createArrayNode();
                String prefix = s(a, "artifact_path") == null ? "" : s(a, "artifact_path") + "/";
                if (Files.isDirectory(local)) {
                    try (Stream<Path> files = Files.walk(local)) {
                        files.filter(Files::isRegularFile).map(p -> prefix + local.relativize(p).toString().replace('\\', '/'))
                                .sorted().forEach(stored::add);
                    }
                } else {
                    stored.add(prefix + local.getFileName());
                }
                return wrap("stored", stored);
            }
            case "listArtifactFiles": {
                String path = s(a, "path");
                var files = path == null ? c.artifacts().list(s(a, "run_id")) : c.artifacts().list(s(a, "run_id"), path);
                JsonNode array = protos(files);
                List<JsonNode> sorted = new ArrayList<>();
                array.forEach(sorted::add);
                sorted.sort((x, y) -> x.path("path").asText().compareTo(y.path("path").asText()));
                ArrayNode out = JSON.createArrayNode();
                sorted.forEach(out::add);
                return wrap("files", out);
            }
            case "downloadArtifacts": {
                Path tmp = Files.createTempDirectory("mlflowrest-driver-");
                return wrap("files", shaTree(c.artifacts().download(s(a, "run_id"), s(a, "path"), tmp)));
            }
            case "downloadArtifactUri": {
                Path tmp = Files.createTempDirectory("mlflowrest-driver-");
                return wrap("files", shaTree(c.artifacts().downloadUri(s(a, "uri"), tmp)));
            }
            case "fluentLogArtifacts": {
                String runId;
                try (ActiveRun run = c.startRun(RunOptions.inExperiment(s(a, "experiment_id")).named(s(a, "run_name")))) {
                    runId = run.getId();
                    Path local = Path.of(s(a, "local_path"));
                    if (Files.isDirectory(local)) run.logArtifacts(local, s(a, "artifact_path"));
                    else run.logArtifact(local, s(a, "artifact_path"));
                }
                ObjectNode r = JSON.createObjectNode();
                r.put("run_id", runId);
                return r;
            }
            case "backgroundLog": {
                // A new run whose metrics go through the background logger, ended (and flushed) by close().
                String key = s(a, "key");
                int count = a.get("count").asInt(), pause = a.path("pause_ms").asInt(0);
                long refuse = a.has("refuse_step") ? int64(a, "refuse_step", -1) : -1;
                String runId;
                try (ActiveRun run = c.startRun(RunOptions.inExperiment(s(a, "experiment_id"))
                        .logInBackground(java.time.Duration.ofMillis(200)))) {
                    runId = run.getId();
                    for (int step = 0; step < count; step++) {
                        // The server refuses a negative timestamp: that one point, not its batch.
                        run.logMetric(key, step, step == refuse ? -1 : System.currentTimeMillis(), step);
                        if (pause > 0) Thread.sleep(pause);
                    }
                }
                ObjectNode r = JSON.createObjectNode();
                r.put("run_id", runId);
                return r;
            }
            default:
                return generated(c, op, a);
        }
    }

    /** The operation's method of the generated layer, its arguments bound to its parameter types. */
    static JsonNode generated(MlflowRestClient c, String op, JsonNode a) throws Exception {
        Operations.Operation spec = Operations.BY_ID.get(op);
        if (spec == null) return c.operations().call(op, a); // the SDK names the unknown operation
        Object resource = Api.class.getMethod(spec.resource()).invoke(c.api());
        Method method = null;
        for (Method m : resource.getClass().getMethods()) if (m.getName().equals(spec.method())) method = m;
        ObjectNode rest = a == null || a.isNull() ? JSON.createObjectNode() : a.deepCopy();
        Object[] args = new Object[method.getParameterCount()];
        int pathIndex = 0;
        for (int i = 0; i < args.length; i++) {
            Class<?> type = method.getParameterTypes()[i];
            if (type == String.class) {
                args[i] = s(rest, spec.pathParams().get(pathIndex));
                rest.remove(spec.pathParams().get(pathIndex++));
            } else if (type == Path.class) {
                args[i] = Path.of(s(rest, "local_path"));
            } else {
                args[i] = bind(rest, type);
            }
        }
        Object result;
        try {
            result = method.invoke(resource, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (result == null) return JSON.createObjectNode();
        if (result instanceof java.io.InputStream in) {
            try (in) {
                ObjectNode r = JSON.createObjectNode();
                r.put("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes())));
                return r;
            }
        }
        return JSON.valueToTree(result);
    }

    /**
     * JSON arguments as the request record. A number the record's type cannot hold (2^63+5 as a
     * long) is the family's typed error naming the field, as the SDK raises for what it checks itself.
     */
    static Object bind(ObjectNode args, Class<?> type) {
        // an argument the record does not have is an error, as in the other drivers, not dropped
        java.util.Set<String> names = new java.util.HashSet<>();
        for (var component : type.getRecordComponents()) {
            names.add(component.getAccessor().getAnnotation(JsonProperty.class) != null
                    ? component.getAccessor().getAnnotation(JsonProperty.class).value()
                    : component.getAnnotation(JsonProperty.class).value());
        }
        for (String name : (Iterable<String>) args::fieldNames) {
            if (!names.contains(name)) {
                throw InvalidParameterValueError.clientSide(name, "a field of " + type.getSimpleName(),
                        type.getSimpleName() + " has no field '" + name + "'");
            }
        }
        try {
            return JSON.treeToValue(args, type);
        } catch (com.fasterxml.jackson.core.exc.InputCoercionException e) {
            String field = e.getProcessor() == null ? "" : String.valueOf(e.getProcessor().getParsingContext().getCurrentName());
            throw InvalidParameterValueError.clientSide(field, "int64 (-2^63 .. 2^63-1)", "out of range: " + e.getOriginalMessage());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw InvalidParameterValueError.clientSide("", type.getSimpleName(), e.getOriginalMessage());
        }
    }

    /**
     * A JSON integer as the long the Java API takes. asLong() would wrap 2^63+5 to a negative
     * number or cut 1.5 to 1; here either is the family's typed error naming the field (int64).
     */
    static long int64(JsonNode parent, String field, long fallback) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw InvalidParameterValueError.clientSide(field, "int64 (-2^63 .. 2^63-1)",
                    "expected a whole number within int64, got " + n);
        }
        return n.longValue();
    }

    /** {relative path: sha256} of a downloaded folder, or {name: sha256} of a file. */
    static ObjectNode shaTree(Path got) throws Exception {
        Map<String, String> sorted = new TreeMap<>();
        if (Files.isDirectory(got)) {
            try (Stream<Path> walk = Files.walk(got)) {
                for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator)
                    sorted.put(got.relativize(p).toString().replace('\\', '/'), sha256(p));
            }
        } else {
            sorted.put(got.getFileName().toString(), sha256(got));
        }
        ObjectNode files = JSON.createObjectNode();
        sorted.forEach(files::put);
        return files;
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
