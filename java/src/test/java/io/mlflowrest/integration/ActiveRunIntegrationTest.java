package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.OfficialBridge;
import io.mlflowrest.RunOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowContext;

class ActiveRunIntegrationTest {
    @Test
    void tryWithResourcesEndsTheRunFinished() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("fluent"));
            String id;
            try (ActiveRun run = client.startRun(RunOptions.inExperiment(exp).named("ok"))) {
                id = run.getId();
                run.logParam("alpha", "0.5");
                run.logMetric("rmse", 0.786);
            }
            assertEquals(RunStatus.FINISHED, client.runs().get(id).getInfo().getStatus());
        }
    }

    @Test
    void withRunEndsFailedAndRethrowsTheSameException() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("failing"));
            AtomicReference<String> id = new AtomicReference<>();
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> client.withRun(RunOptions.inExperiment(exp), run -> {
                        id.set(run.getId());
                        throw boom;
                    }));
            assertSame(boom, thrown);
            assertEquals(RunStatus.FAILED, client.runs().get(id.get()).getInfo().getStatus());
            assertEquals("done", client.withRun(RunOptions.inExperiment(exp), run -> "done"));
        }
    }

    @Test
    void backgroundLoggerBatchesAndFlushesOnClose() {
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("bg"));
            String id;
            try (ActiveRun run = client.startRun(RunOptions.inExperiment(exp).logInBackground(Duration.ofMinutes(5)))) {
                id = run.getId();
                // Fewer than one batch (1000 points, which would go at once) and a 5-minute interval.
                for (int step = 0; step < 999; step++) {
                    run.logMetric("loss", 1.0 / (step + 1), step);
                }
                assertEquals(0, client.metrics().history(id, "loss").toList().size(), "nothing sent before flush");
            }
            assertEquals(999, client.metrics().history(id, "loss").toList().size());
            assertEquals(RunStatus.FINISHED, client.runs().get(id).getInfo().getStatus());
        }
    }

    @Test
    void officialRunHandedToMlflowrestForArtifacts(@TempDir Path tmp) throws Exception {
        try (MlflowRestClient client = LiveServer.client()) {
            MlflowClient official = OfficialBridge.officialClient(client.config());
            String experimentName = LiveServer.unique("bridge");
            client.experiments().create(experimentName);
            MlflowContext context = new MlflowContext(official).setExperimentName(experimentName);
            org.mlflow.tracking.ActiveRun officialRun = context.startRun("bridged");
            officialRun.logParam("alpha", "0.5");
            try (ActiveRun run = OfficialBridge.attach(client, officialRun)) {
                run.logArtifact(Files.writeString(tmp.resolve("a.txt"), "x"));
            }
            assertEquals(RunStatus.RUNNING, client.runs().get(officialRun.getId()).getInfo().getStatus());
            officialRun.endRun();
            assertEquals("a.txt", client.artifacts().list(officialRun.getId()).get(0).getPath());
        }
    }
}
