// Java workloads for bench/run.py, one measurement per JVM:
//   java -cp java/target/mlflowrest.jar bench/java/Bench.java <workload> <client> <size> <tracking_uri>
// prints one JSON object like bench/pyworkloads.py. Clients: sdk (mlflowrest), floor (the same JSON
// through java.net.http.HttpClient), official (org.mlflow:mlflow-client 2.17.2), dropin
// (io.mlflowrest.compat.MlflowClient, first_metric only; java/compat/target/classes on the classpath).

import io.mlflowrest.ActiveRun;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.tracking.MlflowClient;

public class Bench {
    static String uri;
    // Built on first use: a static HttpClient cost every client's start-up ~1,800 classes (TLS included).
    static final class Floor {
        static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    interface Work { void run() throws Exception; }

    public static void main(String[] args) throws Exception {
        String workload = args[0], client = args[1];
        int size = Integer.parseInt(args[2]);
        uri = args[3];
        String out = switch (workload) {
            case "log_metric" -> logMetric(client, size);
            case "log_batch" -> logBatch(client, size);
            case "typical_run" -> typicalRun(client, size);
            case "training_loop" -> trainingLoop(client, size);
            case "artifacts" -> artifacts(client, size);
            case "first_metric" -> firstMetric(client);
            default -> throw new IllegalArgumentException(workload);
        };
        System.out.println(out);
        System.exit(0);
    }

    static long now() { return System.currentTimeMillis(); }

    static String post(String path, String json) throws Exception {
        HttpResponse<String> r = Floor.HTTP.send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/" + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(path + " -> " + r.statusCode() + " " + r.body());
        return r.body();
    }

    static String newRun() throws Exception {
        String body = post("runs/create", "{\"experiment_id\":\"0\",\"start_time\":" + now() + "}");
        int i = body.indexOf("\"run_id\"");
        int start = body.indexOf('"', body.indexOf(':', i) + 1) + 1;
        return body.substring(start, body.indexOf('"', start));
    }

    static double cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    static String measure(Work work, int per) throws Exception {
        double c0 = cpu();
        long t0 = System.nanoTime();
        work.run();
        double wall = (System.nanoTime() - t0) / 1e9, used = cpu() - c0;
        return String.format(Locale.ROOT, "{\"seconds\": %.6f, \"cpu\": %.6f, \"per_item_ms\": %.6f, \"cpu_per_item_ms\": %.6f}",
                wall, used, wall / per * 1000, used / per * 1000);
    }

    static MlflowRestClient sdk() {
        return MlflowRestClient.create(ClientConfig.builder().trackingUri(uri).build());
    }

    static String logMetric(String client, int size) throws Exception {
        String run = newRun();
        Work one;
        int[] i = {0};
        switch (client) {
            case "sdk" -> { MlflowRestClient c = sdk(); one = () -> c.runs().logMetric(run, "m", i[0], now(), i[0]); }
            case "official" -> { MlflowClient c = new MlflowClient(uri); one = () -> c.logMetric(run, "m", i[0], now(), i[0]); }
            default -> one = () -> post("runs/log-metric", String.format(Locale.ROOT,
                    "{\"run_id\":\"%s\",\"key\":\"m\",\"value\":%d.0,\"timestamp\":%d,\"step\":%d}", run, i[0], now(), i[0]));
        }
        one.run(); // connection set-up and class loading out of the measurement
        return measure(() -> { for (i[0] = 0; i[0] < size; i[0]++) one.run(); }, size);
    }

    static String logBatch(String client, int size) throws Exception {
        String run = newRun();
        long ts = now();
        return switch (client) {
            case "sdk" -> { MlflowRestClient c = sdk(); c.runs().get(run);
                yield measure(() -> c.runs().logBatch(run, metrics(size, ts), List.of(), List.of()), size); }
            case "official" -> { MlflowClient c = new MlflowClient(uri); c.getRun(run);
                yield measure(() -> { for (int s = 0; s < size; s += 1000)
                    c.logBatch(run, metrics(size, ts).subList(s, Math.min(size, s + 1000)), List.of(), List.of()); }, size); }
            default -> measure(() -> {
                for (int s = 0; s < size; s += 1000) {
                    StringBuilder b = new StringBuilder("{\"run_id\":\"").append(run).append("\",\"metrics\":[");
                    for (int k = s; k < Math.min(size, s + 1000); k++) {
                        if (k > s) b.append(',');
                        b.append(String.format(Locale.ROOT, "{\"key\":\"m%d\",\"value\":%s,\"timestamp\":%d,\"step\":%d}", k % 10, k * 0.5, ts, k));
                    }
                    post("runs/log-batch", b.append("]}").toString());
                }
            }, size);
        };
    }

    static List<Metric> metrics(int size, long ts) {
        List<Metric> list = new ArrayList<>(size);
        for (int k = 0; k < size; k++)
            list.add(Metric.newBuilder().setKey("m" + (k % 10)).setValue(k * 0.5).setTimestamp(ts).setStep(k).build());
        return list;
    }

    static String typicalRun(String client, int size) throws Exception {
        Work one = switch (client) {
            case "sdk" -> { MlflowRestClient c = sdk(); yield () -> {
                String r = c.runs().create("0").getInfo().getRunId();
                for (int k = 0; k < 10; k++) c.runs().logParam(r, "p" + k, "" + k);
                for (int k = 0; k < 10; k++) c.runs().logMetric(r, "m" + k, k, now(), 0);
                for (int k = 0; k < 5; k++) c.runs().setTag(r, "t" + k, "v");
                c.runs().update(r, RunStatus.FINISHED, now(), null); }; }
            case "official" -> { MlflowClient c = new MlflowClient(uri); yield () -> {
                String r = c.createRun("0").getRunId();
                for (int k = 0; k < 10; k++) c.logParam(r, "p" + k, "" + k);
                for (int k = 0; k < 10; k++) c.logMetric(r, "m" + k, k);
                for (int k = 0; k < 5; k++) c.setTag(r, "t" + k, "v");
                c.setTerminated(r, RunStatus.FINISHED); }; }
            default -> () -> {
                String r = newRun();
                for (int k = 0; k < 10; k++) post("runs/log-parameter", "{\"run_id\":\"" + r + "\",\"key\":\"p" + k + "\",\"value\":\"" + k + "\"}");
                for (int k = 0; k < 10; k++) post("runs/log-metric", "{\"run_id\":\"" + r + "\",\"key\":\"m" + k + "\",\"value\":" + k + ",\"timestamp\":" + now() + ",\"step\":0}");
                for (int k = 0; k < 5; k++) post("runs/set-tag", "{\"run_id\":\"" + r + "\",\"key\":\"t" + k + "\",\"value\":\"v\"}");
                post("runs/update", "{\"run_id\":\"" + r + "\",\"status\":\"FINISHED\",\"end_time\":" + now() + "}"); };
        };
        one.run();
        return measure(() -> { for (int k = 0; k < size; k++) one.run(); }, size);
    }

    // sdk-journal: the same loop with every batch recorded in an on-disk journal first (docs/journal.md).
    static String trainingLoop(String client, int size) throws Exception {
        MlflowRestClient c = client.equals("sdk-journal")
                ? MlflowRestClient.create(ClientConfig.builder().trackingUri(uri)
                        .journalDir(Files.createTempDirectory("mlflowrest-bench-journal-")).build())
                : sdk();
        ActiveRun run = c.startRun(RunOptions.inExperiment("0").logInBackground(Duration.ofSeconds(1)));
        double c0 = cpu();
        long t0 = System.nanoTime();
        for (int step = 0; step < size; step++) run.logMetric("loss", 1.0 / (step + 1), step);
        double loop = (System.nanoTime() - t0) / 1e9;
        run.close();
        double durable = (System.nanoTime() - t0) / 1e9;
        int stored = 0;
        for (var ignored : c.metrics().history(run.getId(), "loss")) stored++;
        if (stored != size) throw new IllegalStateException(stored + " of " + size + " points stored");
        return String.format(Locale.ROOT, "{\"seconds\": %.6f, \"cpu\": %.6f, \"per_call_us\": %.3f, \"loop_seconds\": %.6f, \"durable_after_loop_s\": %.6f}",
                durable, cpu() - c0, loop / size * 1e6, loop, durable - loop);
    }

    static String artifacts(String client, int size) throws Exception {
        Path tmp = Files.createTempDirectory("mlflowrest-bench-");
        Path src = tmp.resolve("blob.bin");
        byte[] block = new byte[1 << 20];
        new Random(1).nextBytes(block);
        try (OutputStream o = Files.newOutputStream(src)) { for (int k = 0; k < size >> 20; k++) o.write(block); }
        String run = newRun();
        Path out = tmp.resolve("out");
        Work up, down, warmUp;
        if (client.equals("sdk")) {
            MlflowRestClient c = sdk();
            warmUp = () -> c.artifacts().list(run);
            up = () -> c.artifacts().upload(run, src);
            down = () -> c.artifacts().download(run, "blob.bin", out);
        } else {
            String body = Floor.HTTP.send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/runs/get?run_id=" + run)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            int i = body.indexOf("mlflow-artifacts:/") + "mlflow-artifacts:/".length();
            String root = body.substring(i, body.indexOf('"', i));
            URI target = URI.create(uri + "/api/2.0/mlflow-artifacts/artifacts/" + root + "/blob.bin");
            warmUp = () -> Floor.HTTP.send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow-artifacts/artifacts?path=" + root)).build(),
                    HttpResponse.BodyHandlers.discarding());
            up = () -> Floor.HTTP.send(HttpRequest.newBuilder(target).PUT(HttpRequest.BodyPublishers.ofFile(src)).build(), HttpResponse.BodyHandlers.discarding());
            down = () -> { Files.createDirectories(out);
                Floor.HTTP.send(HttpRequest.newBuilder(target).build(), HttpResponse.BodyHandlers.ofFile(out.resolve("blob.bin"))); };
        }
        warmUp.run(); // class loading, the run lookup and a first request out of the timing
        long t0 = System.nanoTime();
        up.run();
        long t1 = System.nanoTime();
        down.run();
        long t2 = System.nanoTime();
        long got = Files.size(out.resolve("blob.bin"));
        if (got != size) throw new IllegalStateException("downloaded " + got + " of " + size + " bytes");
        double peakHeap = 0;
        for (var pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == java.lang.management.MemoryType.HEAP) peakHeap += pool.getPeakUsage().getUsed();
        // Peak resident memory of the whole JVM, as Python's ru_maxrss and R's VmHWM report theirs.
        double peakRss = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmHWM:")).mapToDouble(l -> Double.parseDouble(l.replaceAll("[^0-9]", "")) / 1024)
                .findFirst().orElse(-1);
        double secs = (t2 - t0) / 1e9;
        try (var walk = Files.walk(tmp)) { walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
        return String.format(Locale.ROOT, "{\"seconds\": %.6f, \"upload_s\": %.6f, \"download_s\": %.6f, \"mb_per_s\": %.3f, \"peak_rss_mb\": %.1f, \"peak_heap_mb\": %.1f}",
                secs, (t1 - t0) / 1e9, (t2 - t1) / 1e9, 2.0 * size / secs / 1e6, peakRss, peakHeap / 1e6);
    }

    // Apart, so that verifying Bench needs no drop-in class on the class path (the AppCDS run has none).
    static final class DropIn {
        static MlflowClient client() { return new io.mlflowrest.compat.MlflowClient(uri); }
    }

    static String firstMetric(String client) throws Exception {
        if (client.equals("sdk")) {
            MlflowRestClient c = sdk();
            String r = c.runs().create("0").getInfo().getRunId();
            c.runs().logMetric(r, "m", 1.0);
        } else if (client.equals("dropin")) {
            MlflowClient c = DropIn.client();
            String r = c.createRun("0").getRunId();
            c.logMetric(r, "m", 1.0);
        } else {
            MlflowClient c = new MlflowClient(uri);
            String r = c.createRun("0").getRunId();
            c.logMetric(r, "m", 1.0);
        }
        return "{\"seconds\": 0}";
    }
}
