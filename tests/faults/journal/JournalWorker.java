import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * tests/faults/test_journal.py drives this through the fluent API only:
 *   loop --experiment NAME --points N --seed S   (MLFLOW_TRACKING_URI, MLFLOWREST_JOURNAL_DIR set)
 *   offline --experiment NAME                    (MLFLOW_TRACKING_URI=offline:DIR)
 * Each prints JSON lines on stdout, flushed, as the test's protocol says.
 */
public class JournalWorker {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String experiment = arg(args, "--experiment", "journal");
        try (MlflowRestClient client = MlflowRestClient.fromEnvironment()) {
            if (mode.equals("loop")) {
                loop(client, experiment, Integer.parseInt(arg(args, "--points", "1000")), Long.parseLong(arg(args, "--seed", "0")));
            } else {
                offline(client, experiment);
            }
        }
    }

    static void loop(MlflowRestClient client, String name, int points, long seed) {
        String experimentId;
        try {
            experimentId = client.experiments().getByName(name).getExperimentId();
        } catch (ResourceDoesNotExistError missing) {
            experimentId = client.experiments().create(name);
        }
        long left;
        try (ActiveRun run = client.startRun(RunOptions.inExperiment(experimentId).logInBackground(Duration.ofMillis(200)))) {
            say("{\"run_id\": \"" + run.getId() + "\"}");
            for (int i = 0; i < points; i++) {
                run.logMetric("loss", (seed * 1000003L + i) % 1000 / 1000.0, 1_700_000_000_000L + i, i);
                if ((i + 1) % 1000 == 0) {
                    say("{\"logged\": " + (i + 1) + "}");
                }
            }
        }
        say("{\"done\": true, \"left_for_sync\": " + client.leftForSync() + "}");
    }

    static void offline(MlflowRestClient client, String name) throws Exception {
        Path work = Files.createTempDirectory("journal-worker");
        Files.writeString(work.resolve("summary.json"), "{\"groups\": 3}");
        Path model = Files.createDirectories(work.resolve("model"));
        byte[] weights = new byte[1024];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (byte) (i % 256);
        }
        Files.write(model.resolve("weights.bin"), weights);
        Files.createDirectories(model.resolve("conf"));
        Files.writeString(model.resolve("conf").resolve("params.txt"), "alpha=0.5\n");
        String experimentId = client.experiments().create(name);
        try (ActiveRun run = client.startRun(RunOptions.inExperiment(experimentId).named("offline-run"))) {
            run.logParams(Map.of("alpha", "0.5", "layers", "3"));
            run.setTag("team", "ml");
            for (int step = 0; step < 100; step++) {
                run.logMetric("loss", 1.0 / (step + 1), 1_700_000_000_000L + step, step);
            }
            run.logMetric("accuracy", 0.9, 1_700_000_000_000L, 0);
            run.logArtifact(work.resolve("summary.json"), "reports");
            run.logArtifacts(model, "model");
            say("{\"run_id\": \"" + run.getId() + "\"}");
        }
    }

    static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
