package io.mlflowrest.compat.example;

// The chapter's Main as printed, with its typos fixed and one line changed: the book's
// `import org.mlflow.tracking.*;` became `import io.mlflowrest.compat.*;`.
import io.mlflowrest.compat.*;
import org.mlflow.api.proto.Service.RunStatus;

/**
 * The chapter's example. The book logs to the literal run id "test", which no server has: whoever
 * runs it creates a run first and passes its id as the first argument ("test" stays the default,
 * as printed, and the server then answers RESOURCE_DOES_NOT_EXIST).
 */
public class Main {
    public static void main(String[] args) {
        MlflowContext mlflow = new MlflowContext();
        MlflowClient client = mlflow.getClient();
        String runId = args.length > 0 ? args[0] : "test";
        client.logParam(runId, "alpha", "0.5");
        client.logMetric(runId, "rmse", 0.786);
        client.setTag(runId, "origin", "HelloWorld Java Example");
        client.setTerminated(runId, RunStatus.FINISHED);
    }
}
