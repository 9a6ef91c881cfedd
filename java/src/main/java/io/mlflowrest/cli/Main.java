package io.mlflowrest.cli;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.journal.Sync;
import io.mlflowrest.journal.SyncReport;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The mlflowrest command, the entry point of the mlflowrest-cli jar (java/cli):
 * {@code java -jar mlflowrest-cli.jar sync DIR [--tracking-uri URI] [--include-live]} replays a journal or offline directory into the server
 * (MLFLOW_TRACKING_URI unless given) and prints the report; exit status 0 when nothing failed or
 * waits, 1 otherwise, 2 for a usage error.
 */
public final class Main {
    private static final String USAGE = "usage: java -jar mlflowrest-cli.jar sync DIR [--tracking-uri URI] [--include-live]";

    private Main() {}

    /**
     * @param args {@code sync DIR [--tracking-uri URI] [--include-live]}
     */
    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /**
     * The command without exiting (tests call it).
     *
     * @param args the command line
     * @param env the environment variables
     * @return the exit status
     */
    public static int run(String[] args, Map<String, String> env) {
        if (args.length < 2 || !args[0].equals("sync")) {
            System.err.println(USAGE);
            return 2;
        }
        Path dir = Path.of(args[1]);
        Map<String, String> vars = new HashMap<>(env);
        boolean includeLive = false;
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--include-live")) {
                includeLive = true;
            } else if (args[i].equals("--tracking-uri") && i + 1 < args.length) {
                vars.put("MLFLOW_TRACKING_URI", args[++i]);
            } else {
                System.err.println(USAGE);
                return 2;
            }
        }
        try {
            ClientConfig config = ClientConfig.fromEnvironment(vars, Path.of(System.getProperty("user.home")));
            SyncReport report = Sync.sync(dir, config, includeLive);
            System.out.println(report);
            return report.ok() ? 0 : 1;
        } catch (MlflowError e) {
            System.err.println("sync: " + e.getMessage());
            return 1;
        }
    }
}
