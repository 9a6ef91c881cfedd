package io.mlflowrest.compat.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.compat.MlflowClient;
import io.mlflowrest.compat.MlflowContext;
import io.mlflowrest.compat.errors.InvalidParameterValueError;
import io.mlflowrest.compat.errors.ResourceDoesNotExistError;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.Service.CreateExperiment;
import org.mlflow.api.proto.Service.CreateRun;
import org.mlflow.api.proto.Service.FileInfo;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow.api.proto.Service.ViewType;
import org.mlflow.tracking.ActiveRun;
import org.mlflow.tracking.ExperimentsPage;
import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.ModelVersionsPage;
import org.mlflow.tracking.Page;
import org.mlflow.tracking.RunsPage;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * Existing code written against org.mlflow:mlflow-client, run through the drop-in against a
 * live server with Python ruled out, at the sizes users reach. COMPATIBILITY.md names, for each
 * method of the official client, the test here that exercises it.
 */
class DropInIntegrationTest {
    private static final int POINTS = 30_000;

    @Test
    void constructorsReachTheServer() {
        String uri = System.getenv("MLFLOW_TRACKING_URI");
        Live.dropIn().close();
        try (MlflowClient byEnv = new MlflowClient(); MlflowClient byUri = new MlflowClient(uri);
                MlflowClient byCreds = new MlflowClient(new BasicMlflowHostCreds(uri))) {
            for (MlflowClient c : List.of(byEnv, byUri, byCreds)) {
                assertInstanceOf(org.mlflow.tracking.MlflowClient.class, c);
                assertEquals("0", c.getExperiment("0").getExperimentId());
            }
        }
    }

    @Test
    @SuppressWarnings("deprecation") // existing code calls the official client's deprecated searchRuns: so does this
    void runsLifecycle() {
        try (MlflowClient client = Live.dropIn()) {
            String exp = client.createExperiment(Live.unique("dropin-runs"));
            RunInfo a = client.createRun(exp);
            RunInfo b = client.createRun(CreateRun.newBuilder().setExperimentId(exp).setRunName("named")
                    .addTags(RunTag.newBuilder().setKey("k").setValue("v")).build());
            RunInfo c = client.createRun();
            assertEquals("0", c.getExperimentId());
            assertEquals("named", client.getRun(b.getRunId()).getInfo().getRunName());
            client.logParam(a.getRunId(), "alpha", "0.5");
            client.logMetric(a.getRunId(), "m", 1.0);
            client.logMetric(a.getRunId(), "m", Double.NaN, 5L, 2L);
            client.setTag(a.getRunId(), "t", "1");
            client.deleteTag(a.getRunId(), "t");
            Run run = client.getRun(a.getRunId());
            assertEquals("0.5", run.getData().getParams(0).getValue());
            assertFalse(run.getData().getTagsList().stream().anyMatch(t -> t.getKey().equals("t")));
            assertTrue(Double.isNaN(client.getMetricHistory(a.getRunId(), "m").stream()
                    .filter(m -> m.getStep() == 2).findFirst().orElseThrow().getValue()));
            client.setTerminated(a.getRunId());
            client.setTerminated(b.getRunId(), RunStatus.KILLED);
            client.setTerminated(c.getRunId(), RunStatus.FAILED, 1_700_000_000_000L);
            assertEquals(RunStatus.FINISHED, client.getRun(a.getRunId()).getInfo().getStatus());
            assertEquals(RunStatus.KILLED, client.getRun(b.getRunId()).getInfo().getStatus());
            assertEquals(1_700_000_000_000L, client.getRun(c.getRunId()).getInfo().getEndTime());
            client.deleteRun(b.getRunId());
            assertEquals(1, client.listRunInfos(exp).size());
            assertEquals(2, client.searchRuns(List.of(exp), null, ViewType.ALL).size());
            client.restoreRun(b.getRunId());
            assertEquals(2, client.searchRuns(List.of(exp), "").size());
        }
    }

    @Test
    void searchRunsWalksPages() {
        try (MlflowClient client = Live.dropIn()) {
            String exp = client.createExperiment(Live.unique("dropin-pages"));
            Set<String> made = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                made.add(client.createRun(exp).getRunId());
            }
            RunsPage first = client.searchRuns(List.of(exp), "", ViewType.ACTIVE_ONLY, 2);
            assertEquals(2, first.getPageSize());
            Set<String> seen = new HashSet<>();
            Page<Run> page = first;
            while (true) {
                page.getItems().forEach(r -> seen.add(r.getInfo().getRunId()));
                if (!page.hasNextPage()) {
                    break;
                }
                page = page.getNextPage();
            }
            assertEquals(made, seen);
            RunsPage ordered = client.searchRuns(List.of(exp), null, ViewType.ALL, 10, List.of("start_time DESC"));
            assertEquals(5, ordered.getItems().size());
            assertEquals(5, client.searchRuns(List.of(exp), null, ViewType.ALL, 10, List.of(), null).getItems().size());
        }
    }

    @Test
    void experimentsLifecycle() {
        try (MlflowClient client = Live.dropIn()) {
            String name = Live.unique("dropin-exp");
            String id = client.createExperiment(name);
            String other = client.createExperiment(CreateExperiment.newBuilder().setName(name + "-b").build());
            assertEquals(name, client.getExperiment(id).getName());
            assertEquals(id, client.getExperimentByName(name).orElseThrow().getExperimentId());
            assertTrue(client.getExperimentByName(Live.unique("missing")).isEmpty());
            client.setExperimentTag(id, "team", "a");
            assertEquals("a", client.getExperiment(id).getTagsList().stream()
                    .filter(t -> t.getKey().equals("team")).findFirst().orElseThrow().getValue());
            client.renameExperiment(id, name + "-renamed");
            assertEquals(name + "-renamed", client.getExperiment(id).getName());
            client.deleteExperiment(other);
            assertEquals("deleted", client.getExperiment(other).getLifecycleStage());
            client.restoreExperiment(other);
            assertEquals("active", client.getExperiment(other).getLifecycleStage());
            ExperimentsPage page = client.searchExperiments("name LIKE '" + name + "%'", ViewType.ALL, 1, List.of());
            assertEquals(1, page.getItems().size());
            assertTrue(page.hasNextPage());
            assertEquals(1, count(page.getNextPage().getItems()));
            assertTrue(client.searchExperiments().getItems().size() >= 2);
            assertEquals(2, client.searchExperiments("name LIKE '" + name + "%'").getItems().size());
            assertEquals(2, client.searchExperiments("name LIKE '" + name + "%'", ViewType.ALL, 10, List.of("name"), null)
                    .getItems().size());
            assertTrue(client.listExperiments().stream().anyMatch(e -> e.getExperimentId().equals(id)));
        }
    }

    @Test
    void logBatchOfAnySizeAndItsFullHistory() {
        try (MlflowClient client = Live.dropIn()) {
            String runId = client.createRun().getRunId();
            List<Metric> metrics = new ArrayList<>();
            for (int i = 0; i < POINTS; i++) {
                metrics.add(Metric.newBuilder().setKey("loss").setValue(i * 0.5).setTimestamp(1_700_000_000_000L + i)
                        .setStep(i).build());
            }
            List<Param> params = new ArrayList<>();
            List<RunTag> tags = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                params.add(Param.newBuilder().setKey("p" + i).setValue("v" + i).build());
                tags.add(RunTag.newBuilder().setKey("t" + i).setValue("x" + i).build());
            }
            client.logBatch(runId, metrics, params, tags);
            List<Metric> history = client.getMetricHistory(runId, "loss");
            assertEquals(POINTS, history.size());
            assertEquals(POINTS, history.stream().map(Metric::getStep).collect(Collectors.toSet()).size());
            assertEquals((POINTS - 1) * 0.5, history.stream().mapToDouble(Metric::getValue).max().orElseThrow());
            Run run = client.getRun(runId);
            assertEquals(150, run.getData().getParamsCount());
            assertTrue(run.getData().getTagsCount() >= 150);
        }
    }

    @Test
    void artifactsInNestedFoldersWithoutPython(@TempDir Path tmp) throws IOException {
        Path tree = tmp.resolve("tree");
        Files.createDirectories(tree.resolve("a/b/c"));
        Files.writeString(tree.resolve("top.txt"), "top");
        Files.writeString(tree.resolve("a/b/c/deep.txt"), "deep");
        Files.write(tree.resolve("a/b/data.bin"), new byte[300_000]);
        Path single = Files.writeString(tmp.resolve("single.txt"), "single");
        try (MlflowClient client = Live.dropIn()) {
            String runId = client.createRun().getRunId();
            client.logArtifacts(runId, tree.toFile());
            client.logArtifacts(runId, tree.toFile(), "copy");
            client.logArtifact(runId, single.toFile());
            client.logArtifact(runId, single.toFile(), "one/two");
            Set<String> root = paths(client.listArtifacts(runId));
            assertEquals(Set.of("top.txt", "a", "copy", "single.txt", "one"), root);
            assertEquals(Set.of("a/b/c", "a/b/data.bin"), paths(client.listArtifacts(runId, "a/b")));
            File all = client.downloadArtifacts(runId);
            assertEquals("deep", Files.readString(all.toPath().resolve("a/b/c/deep.txt")));
            assertEquals("deep", Files.readString(all.toPath().resolve("copy/a/b/c/deep.txt")));
            assertEquals("single", Files.readString(all.toPath().resolve("one/two/single.txt")));
            File sub = client.downloadArtifacts(runId, "a/b");
            assertEquals(300_000, Files.size(sub.toPath().resolve("data.bin")));
            assertEquals(same(tree), same(all.toPath().resolve("copy")));
        }
    }

    @Test
    void activeRunArtifactsAndMetricsThroughTheContext(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("d/e"));
        Files.writeString(tmp.resolve("d/e/f.txt"), "f");
        try (MlflowClient client = Live.dropIn(); MlflowRestClient check = Live.check()) {
            MlflowContext mlflow = new MlflowContext(client).setExperimentId("0");
            ActiveRun run = mlflow.startRun("ctx");
            run.logParam("a", "1");
            run.logParams(Map.of("b", "2"));
            run.setTag("t", "1");
            run.setTags(Map.of("u", "2"));
            run.logMetric("m", 1.0);
            run.logMetric("m", 2.0, 1);
            run.logMetrics(Map.of("n", 3.0));
            run.logMetrics(Map.of("n", 4.0), 1);
            run.logArtifact(tmp.resolve("d/e/f.txt"));
            run.logArtifact(tmp.resolve("d/e/f.txt"), "x");
            run.logArtifacts(tmp.resolve("d"));
            run.logArtifacts(tmp.resolve("d"), "y");
            assertTrue(run.getArtifactUri().startsWith("mlflow-artifacts:"));
            run.endRun();
            Run stored = check.runs().get(run.getId());
            assertEquals(RunStatus.FINISHED, stored.getInfo().getStatus());
            assertEquals(2, stored.getData().getParamsCount());
            assertEquals(2, check.metrics().history(run.getId(), "n").toList().size());
            assertEquals(Set.of("f.txt", "x", "e", "y"), paths(client.listArtifacts(run.getId())));
            ActiveRun killed = new MlflowContext(client).startRun();
            killed.endRun(RunStatus.KILLED);
            assertEquals(RunStatus.KILLED, check.runs().get(killed.getId()).getInfo().getStatus());
            assertEquals(client, mlflow.getClient());
        }
    }

    @Test
    void contextConstructorsNamesAndNestedRuns() {
        try (MlflowRestClient check = Live.check()) {
            String name = Live.unique("dropin-ctx");
            String exp = check.experiments().create(name);
            MlflowContext byEnv = new MlflowContext().setExperimentName(name);
            assertEquals(exp, byEnv.getExperimentId());
            MlflowContext byUri = new MlflowContext(System.getenv("MLFLOW_TRACKING_URI")).setExperimentId(exp);
            ActiveRun parent = byEnv.startRun("parent");
            ActiveRun child = byUri.startRun("child", parent.getId());
            child.endRun();
            parent.endRun();
            Run stored = check.runs().get(child.getId());
            assertEquals(exp, stored.getInfo().getExperimentId());
            assertTrue(stored.getData().getTagsList().stream()
                    .anyMatch(t -> t.getKey().equals("mlflow.parentRunId") && t.getValue().equals(parent.getId())));
            assertEquals(RunStatus.FINISHED, check.runs().get(parent.getId()).getInfo().getStatus());
        }
    }

    @Test
    void withActiveRunEndsFailedAndRethrows() {
        try (MlflowClient client = Live.dropIn(); MlflowRestClient check = Live.check()) {
            MlflowContext mlflow = new MlflowContext(client);
            String[] ids = new String[2];
            IllegalStateException boom = new IllegalStateException("training diverged");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> mlflow.withActiveRun(run -> {
                ids[0] = run.getId();
                run.logMetric("loss", 1.0);
                throw boom;
            }));
            assertSame(boom, thrown);
            assertEquals(RunStatus.FAILED, check.runs().get(ids[0]).getInfo().getStatus());
            mlflow.withActiveRun("fine", run -> ids[1] = run.getId());
            assertEquals(RunStatus.FINISHED, check.runs().get(ids[1]).getInfo().getStatus());
            assertEquals("fine", check.runs().get(ids[1]).getInfo().getRunName());
        }
    }

    @Test
    void registryReadsAndWrites(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("model.txt"), "weights");
        try (MlflowClient client = Live.dropIn()) {
            String name = Live.unique("dropin-model");
            RunInfo run = client.createRun();
            client.logArtifact(run.getRunId(), tmp.resolve("model.txt").toFile(), "model");
            client.createRegisteredModel(name);
            ModelVersion v1 = client.createModelVersion(name, run.getArtifactUri() + "/model", run.getRunId());
            ModelVersion v2 = client.createModelVersion(name, run.getArtifactUri() + "/model", run.getRunId());
            assertEquals("1", v1.getVersion());
            client.transitionModelVersionStage(name, "1", "Production", false);
            assertEquals("1", client.getLatestVersions(name, List.of("Production")).get(0).getVersion());
            assertEquals(2, client.getLatestVersions(name).size());
            client.setRegisteredModelAlias(name, "champion", v2.getVersion());
            assertEquals("2", client.getModelVersionByAlias(name, "champion").getVersion());
            assertEquals(name, client.getRegisteredModel(name).getName());
            assertEquals("2", client.getModelVersion(name, "2").getVersion());
            assertTrue(client.getModelVersionDownloadUri(name, "1").endsWith("model"));
            File downloaded = client.downloadModelVersion(name, "1");
            assertEquals("weights", Files.readString(downloaded.toPath().resolve("model.txt")));
            File latest = client.downloadLatestModelVersion(name, "Production");
            assertEquals("weights", Files.readString(latest.toPath().resolve("model.txt")));
            ModelVersionsPage page = client.searchModelVersions("name = '" + name + "'", 1, List.of());
            assertEquals(1, page.getItems().size());
            assertEquals(1, count(page.getNextPage().getItems()));
            assertEquals(2, client.searchModelVersions("name = '" + name + "'").getItems().size());
            assertEquals(2, client.searchModelVersions("name = '" + name + "'", 10, List.of(), null).getItems().size());
            assertTrue(client.searchModelVersions().getItems().size() >= 2);
            client.setRegisteredModelTag(name, "team", "a");
            client.setModelVersionTag(name, "1", "ok", "yes");
            client.updateRegisteredModel(name, "described");
            assertEquals("described", client.getRegisteredModel(name).getDescription());
            assertEquals(1, client.searchRegisteredModels("name = '" + name + "'").size());
            client.deleteModelVersion(name, "1");
            client.renameRegisteredModel(name, name + "-r");
            client.deleteRegisteredModel(name + "-r");
            assertThrows(ResourceDoesNotExistError.class, () -> client.getRegisteredModel(name + "-r"));
        }
    }

    @Test
    void rawRoutesAndRoutesThreeXRemoved() {
        try (MlflowClient client = Live.dropIn()) {
            String name = Live.unique("dropin-raw");
            String created = client.sendPost("registered-models/create", "{\"name\": \"" + name + "\"}");
            assertTrue(created.contains(name), created);
            assertTrue(client.sendPatch("registered-models/update", "{\"name\": \"" + name
                    + "\", \"description\": \"d\"}").contains("\"d\""));
            assertTrue(client.sendGet("registered-models/get?name=" + name).contains(name));
            // routes MLflow 2.0 removed, which 1.x-era code still names
            assertTrue(client.sendGet("experiments/list").contains("\"experiments\""));
            assertTrue(client.sendGet("registered-models/list?max_results=1000").contains(name));
        }
    }

    @Test
    void errorsAreOfficialAndTyped() {
        try (MlflowClient client = Live.dropIn()) {
            MlflowHttpException missing = assertThrows(MlflowHttpException.class,
                    () -> client.getRun("0123456789abcdef0123456789abcdef"));
            assertEquals(404, missing.getStatusCode());
            ResourceDoesNotExistError typed = assertInstanceOf(ResourceDoesNotExistError.class, missing);
            assertEquals("RESOURCE_DOES_NOT_EXIST", typed.errorCode());
            assertInstanceOf(io.mlflowrest.errors.ResourceDoesNotExistError.class, missing.getCause());
            assertTrue(missing.getBodyMessage().contains("RESOURCE_DOES_NOT_EXIST"));
            String runId = client.createRun().getRunId();
            MlflowClientException tooLong = assertThrows(MlflowClientException.class,
                    () -> client.logParam(runId, "k".repeat(300), "v"));
            InvalidParameterValueError invalid = assertInstanceOf(InvalidParameterValueError.class, tooLong);
            assertNotNull(invalid.field());
            assertNotNull(invalid.limit());
            assertEquals(400, invalid.getStatusCode());
        }
    }

    @Test
    void aDownServerFailsWithinTheRetryPolicy() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        io.mlflowrest.ClientConfig config = io.mlflowrest.ClientConfig.builder().trackingUri("http://127.0.0.1:" + port)
                .maxRetries(1).backoffFactorSeconds(0).backoffJitterSeconds(0).build();
        try (MlflowClient client = new MlflowClient(config)) {
            MlflowClientException e = assertThrows(MlflowClientException.class, () -> client.logMetric("r", "m", 1.0));
            assertInstanceOf(io.mlflowrest.compat.errors.TransportError.class, e);
            assertInstanceOf(io.mlflowrest.errors.TransportError.class, e.getCause());
        }
    }

    @Test
    void closeReleasesTheClient() {
        MlflowClient client = Live.dropIn();
        assertEquals("0", client.getExperiment("0").getExperimentId());
        client.close();
        MlflowClientException later = assertThrows(MlflowClientException.class, () -> client.getExperiment("0"));
        assertTrue(later.getMessage().contains("closed"), later.getMessage());
        assertTrue(client.toString().startsWith("MlflowClient{"));
        assertFalse(client.toString().contains("password"));
    }

    private static int count(Iterable<?> items) {
        int n = 0;
        for (Object ignored : items) {
            n++;
        }
        return n;
    }

    private static Set<String> paths(List<FileInfo> files) {
        return files.stream().map(FileInfo::getPath).collect(Collectors.toSet());
    }

    private static Map<String, Long> same(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).collect(Collectors.toMap(p -> dir.relativize(p).toString(), p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
    }

}
