package io.mlflowrest;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Ends the runs a program started in the background and never closed, as MLflow's fluent API
 * does at interpreter exit: at JVM shutdown each is flushed (bounded by its flush timeout) and
 * ended FINISHED, or FAILED when the main thread died of an uncaught exception. The hook and the
 * handler are installed with the first such run; the handler passes every exception on to the
 * one installed before it (or prints it as the JVM would). A {@code kill -9} runs no hook: the
 * points still queued then are lost and the run stays RUNNING.
 */
final class ExitHook {
    private static final Set<ActiveRun> OPEN = new LinkedHashSet<>();
    private static boolean installed;
    private static volatile boolean uncaught;

    private ExitHook() {}

    static synchronized void register(ActiveRun run) {
        if (!installed) {
            installed = true;
            Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
            Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
                if (thread.getName().equals("main")) { // the program died of it, not a worker
                    uncaught = true;
                }
                if (previous != null) {
                    previous.uncaughtException(thread, error);
                } else { // what the JVM prints without a handler (ThreadGroup's would call us again)
                    System.err.print("Exception in thread \"" + thread.getName() + "\" ");
                    error.printStackTrace(System.err);
                }
            });
            Runtime.getRuntime().addShutdownHook(new Thread(ExitHook::endAll, "mlflowrest-exit"));
        }
        OPEN.add(run);
    }

    static synchronized void unregister(ActiveRun run) {
        OPEN.remove(run);
    }

    private static void endAll() {
        List<ActiveRun> left;
        synchronized (ExitHook.class) {
            left = List.copyOf(OPEN);
        }
        for (ActiveRun run : left) {
            try {
                run.endAtExit(uncaught);
            } catch (RuntimeException e) { // one run's failure must not keep the others open
                // stderr: java.util.logging resets its handlers in a shutdown hook of its own
                System.err.println("mlflowrest: run " + run.getId() + " at exit: " + e.getMessage());
            }
        }
    }
}
