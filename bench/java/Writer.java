// One Java writer process of bench/many_writers.py, as bench/writer.py is for Python: logs POINTS
// metric points to one run in 500-point log-batch requests through one client, once GO_FILE appears.
//   java -cp java/example/target/mlflowrest-example.jar:.work/bench-java-writer Writer CLIENT URI RUN_ID POINTS GO_FILE
// CLIENT: sdk (mlflowrest), raw (java.net.http, no retries: the floor), official (mlflow-client).
// Prints one JSON line: points sent, errors surfaced, CPU seconds and the wall-clock window.

import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.tracking.MlflowClient;

public class Writer {
    static final int BATCH = 500;

    interface Sender { void send(List<Metric> rows) throws Exception; }

    public static void main(String[] args) throws Exception {
        String kind = args[0], uri = args[1], runId = args[2];
        int points = Integer.parseInt(args[3]);
        Path go = Path.of(args[4]);
        Sender send = sender(kind, uri, runId); // clients are built before the clock starts
        Files.createFile(Path.of(args[4] + ".ready." + ProcessHandle.current().pid()));
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (!Files.exists(go)) {
            if (System.nanoTime() > deadline) {
                System.out.println("{\"error\": \"start file never appeared\"}");
                System.exit(1);
            }
            Thread.sleep(5);
        }
        double cpu0 = cpu();
        long began = System.currentTimeMillis();
        int errors = 0, sent = 0;
        for (int first = 0; first < points; first += BATCH) {
            List<Metric> rows = new ArrayList<>(BATCH);
            for (int i = first; i < Math.min(points, first + BATCH); i++) {
                rows.add(Metric.newBuilder().setKey("m" + i % 10).setValue(i).setTimestamp(began + i).setStep(i).build());
            }
            try {
                send.send(rows);
                sent += rows.size();
            } catch (Exception e) { // every client's error is counted: that is the measurement
                errors++;
                String text = String.valueOf(e.getMessage());
                System.err.println("writer error: " + e.getClass().getSimpleName() + ": "
                        + text.substring(0, Math.min(200, text.length())));
            }
        }
        long ended = System.currentTimeMillis();
        System.out.println(String.format(Locale.ROOT,
                "{\"sent\": %d, \"errors\": %d, \"cpu\": %.6f, \"start\": %.3f, \"end\": %.3f}",
                sent, errors, cpu() - cpu0, began / 1000.0, ended / 1000.0));
        System.exit(0);
    }

    static double cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    static Sender sender(String kind, String uri, String runId) {
        switch (kind) {
            case "sdk": {
                // As users configure it: the MLFLOW_* / MLFLOWREST_* variables, with the URI given.
                Map<String, String> env = new HashMap<>(System.getenv());
                env.put("MLFLOW_TRACKING_URI", uri);
                MlflowRestClient c = MlflowRestClient.create(
                        ClientConfig.fromEnvironment(env, Path.of(System.getProperty("user.home"))));
                return rows -> c.runs().logBatch(runId, rows, List.of(), List.of());
            }
            case "official": {
                MlflowClient c = new MlflowClient(uri);
                return rows -> c.logBatch(runId, rows, List.of(), List.of());
            }
            case "raw": {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                URI target = URI.create(uri + "/api/2.0/mlflow/runs/log-batch");
                return rows -> {
                    StringBuilder b = new StringBuilder("{\"run_id\":\"").append(runId).append("\",\"metrics\":[");
                    for (int k = 0; k < rows.size(); k++) {
                        Metric m = rows.get(k);
                        b.append(k == 0 ? "" : ",").append("{\"key\":\"").append(m.getKey()).append("\",\"value\":")
                                .append(m.getValue()).append(",\"timestamp\":").append(m.getTimestamp())
                                .append(",\"step\":").append(m.getStep()).append('}');
                    }
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(120))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(b.append("]}").toString())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("HTTP " + r.statusCode() + " " + r.body());
                    }
                };
            }
            default:
                throw new IllegalArgumentException("unknown client " + kind);
        }
    }
}
