// Starts a background run, logs COUNT points and exits without ending it ("raise": by an uncaught
// exception). Prints the run id first. Usage: java -cp mlflowrest-example.jar Exit.java EXPERIMENT_ID COUNT finish|raise
import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;

public class Exit {
    public static void main(String[] args) {
        MlflowRestClient client = MlflowRestClient.fromEnvironment();
        ActiveRun run = client.startRun(RunOptions.inExperiment(args[0]).logInBackground(java.time.Duration.ofMillis(200)));
        System.out.println(run.getId());
        System.out.flush();
        int count = Integer.parseInt(args[1]);
        for (int step = 0; step < count; step++) {
            run.logMetric("loss", step * 0.5, step);
        }
        if (args[2].equals("raise")) {
            throw new IllegalStateException("training diverged");
        }
    }
}
