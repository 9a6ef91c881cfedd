package example;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.mlflow.api.proto.Service.Run;

/**
 * Many models on Spark from the JVM: one MLflow run per group, logged inside {@code mapPartitions}.
 *
 * <pre>java ... example.ManyModels GROUPS FAILING PARTITIONS mlflowrest|official</pre>
 *
 * Each group of a synthetic data set (fixed seed) fits a two-feature ridge regression and logs
 * params, a metric, the model (JSON) and a summary. FAILING groups throw once after creating their
 * run and logging part of it (a marker file per group lets the retry succeed); Spark
 * ({@code local[2,4]}: 4 attempts per task) re-runs the whole partition, groups that had finished
 * included. With mlflowrest each start carries the idempotency key {@code <job>/group-<g>}, so a
 * retried group resumes its run and a finished one is skipped. The MlflowRestClient is built on the
 * driver and serialized into the task. The official client has no key; its artifact calls need
 * Python, so its row logs params and the metric only.
 *
 * Prints one JSON line: client, groups, failed_attempts, returned, runs, finished, complete,
 * groups_finished, duplicates, seconds.
 */
public final class ManyModels {
    private static final int ROWS = 60;

    private ManyModels() {}

    public static void main(String[] args) throws Exception {
        int groups = Integer.parseInt(args[0]);
        int failing = Integer.parseInt(args[1]);
        int partitions = Integer.parseInt(args[2]);
        String kind = args[3];
        String uri = System.getenv("MLFLOW_TRACKING_URI");
        String job = "many-models-java-" + UUID.randomUUID().toString().substring(0, 8);
        MlflowRestClient client = MlflowRestClient.fromEnvironment(); // serialized into every task
        String experimentId = client.experiments().create(job + "-" + kind);
        long jobTs = System.currentTimeMillis(); // one clock for every attempt: resent points are the same points
        Path markers = Files.createTempDirectory("spark-java-markers-");

        SparkSession spark = SparkSession.builder().master("local[2,4]").appName(job)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.adaptive.coalescePartitions.enabled", "false")
                .getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        long began = System.nanoTime();
        List<String> returned;
        try {
            Set<Long> fail = chooseFailing(spark, groups, partitions, failing);
            Dataset<Row> data = spark.range(groups * (long) ROWS)
                    .withColumn("group", functions.col("id").mod(groups))
                    .repartition(partitions, functions.col("group"));
            String markerDir = markers.toString();
            MapPartitionsFunction<Row, String> task = "official".equals(kind)
                    ? rows -> trainOfficial(rows, uri, experimentId, jobTs, markerDir, fail)
                    : rows -> trainMlflowrest(rows, client, experimentId, job, jobTs, markerDir, fail);
            returned = data.mapPartitions(task, Encoders.STRING()).collectAsList();
        } finally {
            spark.stop();
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        int failedAttempts;
        try (var files = Files.list(markers)) {
            failedAttempts = (int) files.count();
        }
        Map<String, Long> counts = count(client, experimentId, !"official".equals(kind));
        System.out.printf(Locale.ROOT,
                "{\"client\": \"java-%s\", \"groups\": %d, \"failed_attempts\": %d, \"returned\": %d, \"runs\": %d, "
                        + "\"finished\": %d, \"complete\": %d, \"groups_finished\": %d, \"duplicates\": %d, "
                        + "\"seconds\": %.1f}%n",
                kind, groups, failedAttempts, returned.size(), counts.get("runs"), counts.get("finished"),
                counts.get("complete"), counts.get("groups_finished"), counts.get("duplicates"), seconds);
        client.close();
    }

    /** At most two failing groups per partition (each costs its task one of 4 attempts), in shared partitions first. */
    private static Set<Long> chooseFailing(SparkSession spark, int groups, int partitions, int k) {
        Map<Integer, List<Long>> byPartition = new TreeMap<>();
        for (Row r : spark.range(groups).selectExpr("id", "pmod(hash(id), " + partitions + ") as p").collectAsList()) {
            byPartition.computeIfAbsent(r.getInt(1), p -> new ArrayList<>()).add(r.getLong(0));
        }
        List<List<Long>> shared = new ArrayList<>(byPartition.values());
        shared.sort(Comparator.comparingInt((List<Long> l) -> -l.size()));
        List<Long> chosen = new ArrayList<>();
        for (List<Long> members : shared) {
            members.stream().sorted().limit(2).forEach(chosen::add);
        }
        return new HashSet<>(chosen.subList(0, Math.min(k, chosen.size())));
    }

    private static Map<Long, List<double[]>> byGroup(java.util.Iterator<Row> rows) {
        Map<Long, List<double[]>> groups = new TreeMap<>();
        while (rows.hasNext()) {
            Row r = rows.next();
            long id = r.getLong(0);
            Random rng = new Random(7L * 1_000_003L + id); // fixed per row: every attempt sees the same data
            double x1 = rng.nextGaussian();
            double x2 = rng.nextGaussian();
            long g = r.getLong(1);
            double y = (1 + g % 5) * x1 - 0.5 * x2 + 0.1 * rng.nextGaussian();
            groups.computeIfAbsent(g, k -> new ArrayList<>()).add(new double[] {x1, x2, y});
        }
        return groups;
    }

    /** Ridge regression without intercept on two features: w = (X'X + aI)^-1 X'y; returns {w1, w2, rmse}. */
    static double[] fit(List<double[]> rows, double alpha) {
        double a = alpha;
        double b = 0;
        double d = alpha;
        double u = 0;
        double v = 0;
        for (double[] r : rows) {
            a += r[0] * r[0];
            b += r[0] * r[1];
            d += r[1] * r[1];
            u += r[0] * r[2];
            v += r[1] * r[2];
        }
        double det = a * d - b * b;
        double w1 = (d * u - b * v) / det;
        double w2 = (a * v - b * u) / det;
        double sse = 0;
        for (double[] r : rows) {
            double e = w1 * r[0] + w2 * r[1] - r[2];
            sse += e * e;
        }
        return new double[] {w1, w2, Math.sqrt(sse / rows.size())};
    }

    private static void failOnce(String markers, long group, Set<Long> failing) {
        Path marker = Path.of(markers, "group-" + group);
        if (failing.contains(group) && !Files.exists(marker)) {
            try {
                Files.createFile(marker);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw new IllegalStateException("injected failure in group " + group);
        }
    }

    private static java.util.Iterator<String> trainMlflowrest(java.util.Iterator<Row> rows, MlflowRestClient client,
            String experimentId, String job, long jobTs, String markers, Set<Long> failing) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<Long, List<double[]>> e : byGroup(rows).entrySet()) {
            long group = e.getKey();
            RunOptions options = RunOptions.inExperiment(experimentId).named("group-" + group)
                    .idempotencyKey(job + "/group-" + group);
            out.add(client.withRun(options, run -> {
                if (run.alreadyFinished()) {
                    return group + "," + run.getId(); // an earlier attempt of this task did the work
                }
                double alpha = 0.1 + (group % 3) / 10.0;
                double[] model = fit(e.getValue(), alpha);
                run.logParam("alpha", Double.toString(alpha));
                run.logParam("rows", Integer.toString(e.getValue().size()));
                failOnce(markers, group, failing);
                client.runs().logMetric(run.getId(), "rmse", model[2], jobTs, 0);
                Path dir = Files.createTempDirectory("group-" + group);
                Files.writeString(dir.resolve("model.json"),
                        String.format(Locale.ROOT, "{\"w\": [%s, %s], \"alpha\": %s}", model[0], model[1], alpha));
                Files.writeString(dir.resolve("summary.json"),
                        String.format(Locale.ROOT, "{\"group\": %d, \"rmse\": %s}", group, model[2]));
                run.logArtifacts(dir, "model");
                return group + "," + run.getId();
            }));
        }
        return out.iterator();
    }

    private static java.util.Iterator<String> trainOfficial(java.util.Iterator<Row> rows, String uri,
            String experimentId, long jobTs, String markers, Set<Long> failing) {
        org.mlflow.tracking.MlflowClient official = new org.mlflow.tracking.MlflowClient(uri);
        List<String> out = new ArrayList<>();
        try {
            for (Map.Entry<Long, List<double[]>> e : byGroup(rows).entrySet()) {
                long group = e.getKey();
                String runId = official.createRun(experimentId).getRunId();
                official.setTag(runId, "mlflow.runName", "group-" + group);
                try {
                    double alpha = 0.1 + (group % 3) / 10.0;
                    double[] model = fit(e.getValue(), alpha);
                    official.logParam(runId, "alpha", Double.toString(alpha));
                    official.logParam(runId, "rows", Integer.toString(e.getValue().size()));
                    failOnce(markers, group, failing);
                    official.logMetric(runId, "rmse", model[2], jobTs, 0);
                } catch (RuntimeException failure) {
                    official.setTerminated(runId, org.mlflow.api.proto.Service.RunStatus.FAILED);
                    throw failure;
                }
                official.setTerminated(runId);
                out.add(group + "," + runId);
            }
        } finally {
            official.close();
        }
        return out.iterator();
    }

    /** What the server holds, read back through mlflowrest. */
    private static Map<String, Long> count(MlflowRestClient client, String experimentId, boolean withFiles) {
        Map<String, Long> finishedPerGroup = new HashMap<>();
        long runs = 0;
        long complete = 0;
        for (Run run : client.runs().search(List.of(experimentId), SearchOptions.ALL)) {
            runs++;
            if (!"FINISHED".equals(run.getInfo().getStatus().name())) {
                continue;
            }
            finishedPerGroup.merge(run.getInfo().getRunName(), 1L, Long::sum);
            Set<String> params = new HashSet<>();
            run.getData().getParamsList().forEach(p -> params.add(p.getKey()));
            boolean metric = run.getData().getMetricsList().stream().anyMatch(m -> m.getKey().equals("rmse"));
            boolean files = !withFiles || hasFiles(client, run.getInfo().getRunId());
            if (params.containsAll(Set.of("alpha", "rows")) && metric && files) {
                complete++;
            }
        }
        long finished = finishedPerGroup.values().stream().mapToLong(Long::longValue).sum();
        return Map.of("runs", runs, "finished", finished, "complete", complete,
                "groups_finished", (long) finishedPerGroup.size(), "duplicates", finished - finishedPerGroup.size());
    }

    private static boolean hasFiles(MlflowRestClient client, String runId) {
        try {
            Set<String> paths = new HashSet<>();
            client.artifacts().list(runId, "model").forEach(f -> paths.add(f.getPath()));
            return paths.containsAll(Set.of("model/model.json", "model/summary.json"));
        } catch (ResourceDoesNotExistError e) {
            return false;
        }
    }
}
