// Contract driver for the Java SDK: JSON lines in, JSON lines out (see tests/contract/runner/engine.py).
// Run as a single source file: java -cp java/target/mlflowrest.jar tests/contract/drivers/JavaDriver.java

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.ActiveRun;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.MlflowError;
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
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow_project.google.protobuf.MessageOrBuilder;
import org.mlflow_project.google.protobuf.util.JsonFormat;

public class JavaDriver {
    static final ObjectMapper JSON = new ObjectMapper();
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
                if (e instanceof io.mlflowrest.errors.InvalidParameterValueError bad) {
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
        return protos(items, Integer.MAX_VALUE);
    }

    /** At most `limit` items: the contract's max_results is the most results wanted. */
    static <T extends MessageOrBuilder> ArrayNode protos(Iterable<T> items, int limit) throws Exception {
        ArrayNode array = JSON.createArrayNode();
        for (T item : items) {
            if (array.size() >= limit) break;
            array.add(proto(item));
        }
        return array;
    }

    static int limit(JsonNode args) {
        return args.has("max_results") ? args.get("max_results").asInt() : Integer.MAX_VALUE;
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

    static SearchOptions search(JsonNode args) {
        SearchOptions options = SearchOptions.ALL;
        if (s(args, "filter") != null) options = options.withFilter(s(args, "filter"));
        if (args.has("order_by")) {
            List<String> order = new ArrayList<>();
            args.get("order_by").forEach(o -> order.add(o.asText()));
            options = options.orderBy(order.toArray(String[]::new));
        }
        if (args.has("max_results")) options = options.pageSize(args.get("max_results").asInt());
        String view = s(args, args.has("view_type") ? "view_type" : "run_view_type");
        if (view != null) options = options.viewType(view);
        return options;
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
                .put("batch_concurrency", c.batchConcurrency())
                .put("flush_timeout", c.flushTimeout().toMillis() / 1000.0)
                .put("journal_dir", c.journalDir() == null ? null : c.journalDir().toString())
                .put("journal_fsync", c.journalFsync()).put("journal_fsync_interval", c.journalFsyncIntervalSeconds())
                .put("journal_on_unreachable", c.journalOnUnreachable());
        return o;
    }

    static JsonNode execute(MlflowRestClient c, String op, JsonNode a) throws Exception {
        ObjectNode empty = JSON.createObjectNode();
        switch (op) {
            case "createExperiment": {
                ObjectNode r = JSON.createObjectNode();
                r.put("experiment_id", c.experiments().create(s(a, "name"), s(a, "artifact_location"), tags(a)));
                return r;
            }
            case "getExperiment": return wrap("experiment", proto(c.experiments().get(s(a, "experiment_id"))));
            case "getExperimentByName": return wrap("experiment", proto(c.experiments().getByName(s(a, "experiment_name"))));
            case "searchExperiments": return wrap("experiments", protos(c.experiments().search(search(a)), limit(a)));
            case "updateExperiment": c.experiments().update(s(a, "experiment_id"), s(a, "new_name")); return empty;
            case "setExperimentTag": c.experiments().setTag(s(a, "experiment_id"), s(a, "key"), s(a, "value")); return empty;
            case "deleteExperimentTag": c.experiments().deleteTag(s(a, "experiment_id"), s(a, "key")); return empty;
            case "deleteExperiment": c.experiments().delete(s(a, "experiment_id")); return empty;
            case "restoreExperiment": c.experiments().restore(s(a, "experiment_id")); return empty;
            case "createRun": return wrap("run", proto(c.runs().create(s(a, "experiment_id"), s(a, "run_name"), tags(a))));
            case "getRun": return wrap("run", proto(c.runs().get(s(a, "run_id"))));
            case "updateRun": {
                Long end = a.has("end_time") ? int64(a, "end_time", 0) : null;
                RunStatus status = a.has("status") ? RunStatus.valueOf(s(a, "status")) : null;
                return wrap("run_info", proto(c.runs().update(s(a, "run_id"), status, end, s(a, "run_name"))));
            }
            case "deleteRun": c.runs().delete(s(a, "run_id")); return empty;
            case "restoreRun": c.runs().restore(s(a, "run_id")); return empty;
            case "searchRuns": {
                List<String> ids = new ArrayList<>();
                a.get("experiment_ids").forEach(i -> ids.add(i.asText()));
                return wrap("runs", protos(c.runs().search(ids, search(a)), limit(a)));
            }
            case "logMetric":
                c.runs().logMetric(s(a, "run_id"), s(a, "key"), number(a.get("value")), int64(a, "timestamp", 0),
                        int64(a, "step", 0));
                return empty;
            case "logParam": c.runs().logParam(s(a, "run_id"), s(a, "key"), s(a, "value")); return empty;
            case "setTag": c.runs().setTag(s(a, "run_id"), s(a, "key"), s(a, "value")); return empty;
            case "deleteTag": c.runs().deleteTag(s(a, "run_id"), s(a, "key")); return empty;
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
                return empty;
            }
            case "getMetricHistory": return wrap("metrics", protos(c.metrics().history(s(a, "run_id"), s(a, "metric_key"))));
            case "createRegisteredModel":
                return wrap("registered_model", proto(c.registeredModels().create(s(a, "name"), s(a, "description"), tags(a))));
            case "getRegisteredModel": return wrap("registered_model", proto(c.registeredModels().get(s(a, "name"))));
            case "updateRegisteredModel":
                return wrap("registered_model", proto(c.registeredModels().update(s(a, "name"), s(a, "description"))));
            case "renameRegisteredModel":
                return wrap("registered_model", proto(c.registeredModels().rename(s(a, "name"), s(a, "new_name"))));
            case "deleteRegisteredModel": c.registeredModels().delete(s(a, "name")); return empty;
            case "searchRegisteredModels": return wrap("registered_models", protos(c.registeredModels().search(search(a)), limit(a)));
            case "setRegisteredModelTag": c.registeredModels().setTag(s(a, "name"), s(a, "key"), s(a, "value")); return empty;
            case "setRegisteredModelAlias":
                c.registeredModels().setAlias(s(a, "name"), s(a, "alias"), s(a, "version")); return empty;
            case "deleteRegisteredModelAlias": c.registeredModels().deleteAlias(s(a, "name"), s(a, "alias")); return empty;
            case "getModelVersionByAlias":
                return wrap("model_version", proto(c.registeredModels().getVersionByAlias(s(a, "name"), s(a, "alias"))));
            case "createModelVersion":
                return wrap("model_version", proto(c.modelVersions().create(s(a, "name"), s(a, "source"), s(a, "run_id"))));
            case "createLoggedModel":
                return wrap("model", io.mlflowrest.internal.Json.MAPPER.valueToTree(c.loggedModels().create(s(a, "experiment_id"), s(a, "name"),
                        s(a, "source_run_id"), s(a, "model_type"), Map.of(), Map.of())));
            case "createWebhook": {
                List<io.mlflowrest.generated.model.WebhookEvent> events = new ArrayList<>();
                for (JsonNode e : a.path("events")) {
                    events.add(io.mlflowrest.internal.Json.MAPPER.treeToValue(e, io.mlflowrest.generated.model.WebhookEvent.class));
                }
                return wrap("webhook", io.mlflowrest.internal.Json.MAPPER.valueToTree(c.webhooks().create(s(a, "name"), s(a, "url"), events,
                        s(a, "description"), s(a, "secret"))));
            }
            case "getModelVersion": return wrap("model_version", proto(c.modelVersions().get(s(a, "name"), s(a, "version"))));
            case "deleteModelVersion": c.modelVersions().delete(s(a, "name"), s(a, "version")); return empty;
            case "searchModelVersions": return wrap("model_versions", protos(c.modelVersions().search(search(a)), limit(a)));
            case "setModelVersionTag":
                c.modelVersions().setTag(s(a, "name"), s(a, "version"), s(a, "key"), s(a, "value")); return empty;
            case "transitionModelVersionStage":
                return wrap("model_version", proto(c.modelVersions().transitionStage(s(a, "name"), s(a, "version"),
                        s(a, "stage"), a.path("archive_existing_versions").asBoolean(false))));
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
                // Every other operation of the spec through the raw operation layer (JSON in and out).
                return c.operations().call(op, a);
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
            throw io.mlflowrest.errors.InvalidParameterValueError.clientSide(field, "int64 (-2^63 .. 2^63-1)",
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
