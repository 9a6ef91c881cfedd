package io.mlflowrest.bench;

import io.mlflowrest.MlflowRestClient;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.mlflow.tracking.MlflowClient;

/**
 * Per-call time of log-metric against MLFLOW_TRACKING_URI (run it against the default
 * 4-worker server: `make bench-java`). Compares mlflowrest with a raw java.net.http.HttpClient
 * loop on a kept-alive connection, a fresh connection per call, and the official client.
 * Two rounds, because a just-started server's workers are still warming up during the first.
 */
public final class LogMetricBenchmark {
    private static final int WARMUP = 30;
    private static final int CALLS = 300;

    @FunctionalInterface
    interface Call {
        void run(int i) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        String uri = System.getenv("MLFLOW_TRACKING_URI");
        String endpoint = uri + "/api/2.0/mlflow/runs/log-metric";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        MlflowClient official = new MlflowClient(uri);
        try (MlflowRestClient mlflow = MlflowRestClient.fromEnvironment()) {
            String exp = mlflow.experiments().create("bench-" + System.nanoTime());
            String runId = mlflow.runs().create(exp).getInfo().getRunId();
            for (int round = 1; round <= 2; round++) {
                String suffix = "-" + round;
                System.out.println("round " + round);
                report("mlflowrest (kept-alive, TCP_QUICKACK)",
                        measure(i -> mlflow.runs().logMetric(runId, "a" + suffix, i, 1000L + i, i)));
                report("raw java.net.http.HttpClient (kept-alive)", measure(i -> {
                    HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body(runId, "b" + suffix, i))).build();
                    check(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
                }));
                report("raw HttpURLConnection, fresh connection per call", measure(i -> {
                    HttpURLConnection conn = (HttpURLConnection) URI.create(endpoint).toURL().openConnection();
                    conn.setRequestMethod("POST");
                    conn.setDoOutput(true);
                    conn.setRequestProperty("Content-Type", "application/json");
                    conn.setRequestProperty("Connection", "close");
                    conn.getOutputStream().write(body(runId, "c" + suffix, i).getBytes(StandardCharsets.UTF_8));
                    check(conn.getResponseCode());
                    conn.getInputStream().readAllBytes();
                    conn.disconnect();
                }));
                report("official MlflowClient 2.17.2 (Apache HttpClient 4.5)",
                        measure(i -> official.logMetric(runId, "d" + suffix, i, 1000L + i, i)));
            }
        } finally {
            official.close();
        }
    }

    private static String body(String runId, String key, int i) {
        return "{\"run_id\":\"" + runId + "\",\"key\":\"" + key + "\",\"value\":" + i + ",\"timestamp\":"
                + (1000L + i) + ",\"step\":" + i + "}";
    }

    private static void check(int status) {
        if (status != 200) {
            throw new IllegalStateException("HTTP " + status);
        }
    }

    private static double[] measure(Call call) throws Exception {
        for (int i = 0; i < WARMUP; i++) {
            call.run(-1 - i);
        }
        double[] ms = new double[CALLS];
        for (int i = 0; i < CALLS; i++) {
            long start = System.nanoTime();
            call.run(i);
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    private static void report(String name, double[] sortedMs) {
        double mean = Arrays.stream(sortedMs).average().orElse(0);
        System.out.printf("  %-55s median %6.2f ms  mean %6.2f ms  p95 %6.2f ms  (%d calls)%n", name,
                sortedMs[sortedMs.length / 2], mean, sortedMs[(int) (sortedMs.length * 0.95)], sortedMs.length);
    }
}
