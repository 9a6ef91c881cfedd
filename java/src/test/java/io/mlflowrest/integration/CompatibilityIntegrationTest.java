package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.OfficialBridge;
import io.mlflowrest.RunOptions;
import io.mlflowrest.integration.CompatibilityTable.Status;
import io.mlflowrest.integration.CompatibilityTable.Verdict;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.Service.CreateExperiment;
import org.mlflow.api.proto.Service.CreateRun;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.ViewType;
import org.mlflow.tracking.ActiveRun;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowContext;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * Probes every public method of the official client against the live server and writes
 * java/COMPATIBILITY.md. A probe that fails unexpectedly fails the test; a method without a
 * probe fails it too, so the table cannot miss a row.
 */
class CompatibilityIntegrationTest {
    @FunctionalInterface
    interface Probe {
        Verdict run() throws Exception;
    }

    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    private final Map<String, Probe> probes = new LinkedHashMap<>();
    private MlflowRestClient mlflow;
    private MlflowClient official;
    private String uri;
    private String exp;
    private String runId;
    private String model;
    private Path tmp;

    private static Verdict asIs(String observed) {
        return new Verdict(Status.AS_IS, observed, null);
    }

    private void probe(String signature, Probe probe) {
        probes.put(signature, probe);
    }

    /** Calls the official method; when it fails for want of Python, checks the native replacement works. */
    private Verdict python(Call officialCall, String replacement, Call nativeCall) throws Exception {
        try {
            officialCall.run();
        } catch (RuntimeException e) {
            nativeCall.run();
            return new Verdict(Status.PYTHON, "fails without Python (" + e.getClass().getSimpleName()
                    + "); the native replacement was run and checked", replacement);
        }
        nativeCall.run();
        return asIs("succeeded: a Python with mlflow was reachable");
    }

    private String newRun() {
        return official.createRun(exp).getRunId();
    }

    /**
     * Issue 15 item 11: a folder with train/data.csv and test/data.csv (different bytes) logged
     * through our ActiveRun keeps both, under {@code artifactPath}.
     */
    private void checkNested(io.mlflowrest.ActiveRun ours, String artifactPath) throws Exception {
        ours.logArtifacts(nestedDir(), artifactPath);
        verifyNested(ours.getId(), artifactPath);
    }

    /** The resource API's folder upload keeps subfolders apart too. */
    private void checkNestedUpload(String artifactPath) throws Exception {
        mlflow.artifacts().upload(runId, nestedDir(), artifactPath);
        verifyNested(runId, artifactPath);
    }

    private Path nestedDir() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("nested-" + System.nanoTime()));
        Files.createDirectories(dir.resolve("train"));
        Files.createDirectories(dir.resolve("test"));
        Files.writeString(dir.resolve("train/data.csv"), "train rows");
        Files.writeString(dir.resolve("test/data.csv"), "test rows, more of them");
        return dir;
    }

    private void verifyNested(String run, String artifactPath) throws Exception {
        String prefix = artifactPath == null ? "" : artifactPath + "/";
        Path out = Files.createDirectories(tmp.resolve("nested-out-" + System.nanoTime()));
        assertEquals("train rows", Files.readString(mlflow.artifacts().download(run, prefix + "train/data.csv", out)));
        assertEquals("test rows, more of them", Files.readString(mlflow.artifacts().download(run, prefix + "test/data.csv",
                Files.createDirectories(out.resolve("t")))));
    }

    private File file(String name) throws Exception {
        return Files.writeString(tmp.resolve(name), name).toFile();
    }

    @Test
    void everyOfficialMethodIsClassifiedAgainstTheLiveServer(@TempDir Path tempDir) throws Exception {
        mlflow = LiveServer.client();
        tmp = tempDir;
        uri = System.getenv("MLFLOW_TRACKING_URI");
        official = new MlflowClient(uri);
        exp = official.createExperiment(LiveServer.unique("compat"));
        runId = newRun();
        model = LiveServer.unique("compat-model");
        mlflow.registeredModels().create(model);
        String source = official.getRun(runId).getInfo().getArtifactUri() + "/model";
        mlflow.artifacts().upload(runId, file("MLmodel").toPath(), "model");
        mlflow.modelVersions().create(model, source, runId);

        registerClientProbes();
        registerRegistryAndArtifactProbes();
        registerContextProbes();

        CompatibilityTable table = new CompatibilityTable();
        List<String> missing = new ArrayList<>();
        Set<String> signatures = new TreeSet<>(CompatibilityTable.publicSignatures(MlflowClient.class,
                MlflowContext.class, ActiveRun.class));
        for (String sig : signatures) {
            Probe probe = probes.get(sig);
            if (probe == null) {
                missing.add(sig);
                continue;
            }
            table.put(sig, probe.run());
        }
        assertEquals(List.of(), missing, "public methods without a probe");
        assertEquals(Set.of(), new TreeSet<>(probes.keySet()).stream().filter(p -> !signatures.contains(p))
                .collect(java.util.stream.Collectors.toSet()), "probes for methods that do not exist");
        // the drop-in's table (make compat-table) owns COMPATIBILITY.md; these probes of the official client go to target/
        table.write(Path.of(System.getProperty("basedir", ".")).resolve("target/official-client-probes.md"));
        System.out.println("compatibility: " + table.counts());
        assertTrue(table.counts().get(Status.PYTHON) >= 8, "artifact methods must need Python");
        official.close();
        mlflow.close();
    }

    @SuppressWarnings("deprecation") // the official client's deprecated methods are among those probed
    private void registerClientProbes() {
        String why = "ignores MLFLOW_TRACKING_TOKEN/USERNAME/PASSWORD/INSECURE_TLS (checked: no Authorization header"
                + " from it, Bearer from the bridge, in SecretsTest)";
        probe("new MlflowClient()", () -> {
            new MlflowClient().getExperiment("0");
            return new Verdict(Status.THROUGH, "reads MLFLOW_TRACKING_URI and connects; " + why,
                    "OfficialBridge.officialClient(ClientConfig.fromEnvironment())");
        });
        probe("new MlflowClient(String)", () -> {
            new MlflowClient(uri).getExperiment("0");
            return new Verdict(Status.THROUGH, "connects; " + why, "OfficialBridge.officialClient(config)");
        });
        probe("new MlflowClient(MlflowHostCredsProvider)", () -> {
            new MlflowClient(new BasicMlflowHostCreds(uri)).getExperiment("0");
            return asIs("connects with explicit credentials (what OfficialBridge builds)");
        });
        probe("MlflowClient.getRun(String)", () -> {
            assertEquals(runId, official.getRun(runId).getInfo().getRunId());
            return asIs("returns the run");
        });
        probe("MlflowClient.getMetricHistory(String, String)", () -> {
            String id = newRun();
            List<Metric> points = IntStream.range(0, 1500).mapToObj(i -> Metric.newBuilder().setKey("m")
                    .setValue(i).setTimestamp(1000 + i).setStep(i).build()).toList();
            mlflow.runs().logBatch(id, points, List.of(), List.of());
            int got = official.getMetricHistory(id, "m").size();
            return got == 1500 ? asIs("1500 points of 1500 returned")
                    : new Verdict(Status.THROUGH, got + " of 1500 points returned", "metrics().history(runId, key)");
        });
        probe("MlflowClient.createRun()", () -> {
            official.createRun();
            return asIs("creates a run in experiment 0");
        });
        probe("MlflowClient.createRun(String)", () -> {
            official.createRun(exp);
            return asIs("creates a run; a retried create can duplicate it (not retried here)");
        });
        probe("MlflowClient.createRun(CreateRun)", () -> {
            official.createRun(CreateRun.newBuilder().setExperimentId(exp).setRunName("proto").build());
            return asIs("creates a run");
        });
        probe("MlflowClient.listRunInfos(String)", () -> {
            assertTrue(official.listRunInfos(exp).size() >= 1);
            return asIs("lists runs (through runs/search)");
        });
        probe("MlflowClient.searchRuns(List, String)", () -> {
            official.searchRuns(List.of(exp), "");
            return asIs("returns run infos");
        });
        probe("MlflowClient.searchRuns(List, String, ViewType)", () -> {
            official.searchRuns(List.of(exp), "", ViewType.ALL);
            return asIs("returns run infos");
        });
        probe("MlflowClient.searchRuns(List, String, ViewType, int)", () -> {
            official.searchRuns(List.of(exp), "", ViewType.ALL, 10);
            return asIs("returns a RunsPage");
        });
        probe("MlflowClient.searchRuns(List, String, ViewType, int, List)", () -> {
            official.searchRuns(List.of(exp), "", ViewType.ALL, 10, List.of("start_time DESC"));
            return asIs("returns a RunsPage");
        });
        probe("MlflowClient.searchRuns(List, String, ViewType, int, List, String)", () -> {
            official.searchRuns(List.of(exp), "", ViewType.ALL, 10, List.of(), null);
            return asIs("returns a RunsPage");
        });
        probe("MlflowClient.searchExperiments()", () -> {
            assertTrue(official.searchExperiments().getItems().size() >= 1);
            return asIs("returns an ExperimentsPage (replaces 1.17's listExperiments)");
        });
        probe("MlflowClient.searchExperiments(String)", () -> {
            official.searchExperiments("name LIKE 'compat%'");
            return asIs("returns an ExperimentsPage");
        });
        probe("MlflowClient.searchExperiments(String, ViewType, int, List)", () -> {
            official.searchExperiments("", ViewType.ALL, 5, List.of());
            return asIs("returns an ExperimentsPage");
        });
        probe("MlflowClient.searchExperiments(String, ViewType, int, List, String)", () -> {
            official.searchExperiments("", ViewType.ALL, 5, List.of(), null);
            return asIs("returns an ExperimentsPage");
        });
        probe("MlflowClient.getExperiment(String)", () -> {
            assertEquals(exp, official.getExperiment(exp).getExperimentId());
            return asIs("returns Experiment (1.17 returned GetExperiment.Response)");
        });
        probe("MlflowClient.getExperimentByName(String)", () -> {
            assertTrue(official.getExperimentByName(LiveServer.unique("none")).isEmpty());
            return asIs("Optional; empty when missing");
        });
        probe("MlflowClient.createExperiment(String)", () -> {
            official.createExperiment(LiveServer.unique("c"));
            return asIs("creates; a retried create answers RESOURCE_ALREADY_EXISTS (not retried here)");
        });
        probe("MlflowClient.createExperiment(CreateExperiment)", () -> {
            official.createExperiment(CreateExperiment.newBuilder().setName(LiveServer.unique("c")).build());
            return asIs("creates");
        });
        probe("MlflowClient.deleteExperiment(String)", () -> {
            official.deleteExperiment(official.createExperiment(LiveServer.unique("d")));
            return asIs("deletes");
        });
        probe("MlflowClient.restoreExperiment(String)", () -> {
            String id = official.createExperiment(LiveServer.unique("r"));
            official.deleteExperiment(id);
            official.restoreExperiment(id);
            return asIs("restores");
        });
        probe("MlflowClient.renameExperiment(String, String)", () -> {
            official.renameExperiment(official.createExperiment(LiveServer.unique("n")), LiveServer.unique("n2"));
            return asIs("renames");
        });
        probe("MlflowClient.deleteRun(String)", () -> {
            official.deleteRun(newRun());
            return asIs("deletes");
        });
        probe("MlflowClient.restoreRun(String)", () -> {
            String id = newRun();
            official.deleteRun(id);
            official.restoreRun(id);
            return asIs("restores");
        });
        probe("MlflowClient.logParam(String, String, String)", () -> {
            official.logParam(runId, "alpha", "0.5");
            return asIs("logs");
        });
        probe("MlflowClient.logMetric(String, String, double)", () -> {
            official.logMetric(runId, "rmse", 0.786);
            return asIs("logs");
        });
        probe("MlflowClient.logMetric(String, String, double, long, long)", () -> {
            official.logMetric(runId, "nan", Double.NaN, 1, 1);
            return asIs("logs, NaN included");
        });
        probe("MlflowClient.setExperimentTag(String, String, String)", () -> {
            official.setExperimentTag(exp, "k", "v");
            return asIs("sets (no deleteExperimentTag in this client: experiments().deleteTag)");
        });
        probe("MlflowClient.setTag(String, String, String)", () -> {
            official.setTag(runId, "origin", "compat");
            return asIs("sets");
        });
        probe("MlflowClient.deleteTag(String, String)", () -> {
            official.setTag(runId, "gone", "x");
            official.deleteTag(runId, "gone");
            return asIs("deletes");
        });
        probe("MlflowClient.logBatch(String, Iterable, Iterable, Iterable)", () -> {
            String id = newRun();
            List<Metric> points = IntStream.range(0, 1001).mapToObj(i -> Metric.newBuilder().setKey("m")
                    .setValue(i).setTimestamp(1).setStep(i).build()).toList();
            try {
                official.logBatch(id, points, List.of(), List.of());
                return asIs("1001 metrics accepted");
            } catch (RuntimeException e) {
                int requests = mlflow.runs().logBatch(id, points, List.of(), List.of());
                return new Verdict(Status.THROUGH, "small batches work; 1001 metrics answered 400 (no splitting);"
                        + " mlflowrest sent them in " + requests + " requests", "runs().logBatch(runId, metrics, params, tags)");
            }
        });
        probe("MlflowClient.setTerminated(String)", () -> {
            official.setTerminated(newRun());
            return asIs("ends FINISHED");
        });
        probe("MlflowClient.setTerminated(String, RunStatus)", () -> {
            official.setTerminated(newRun(), RunStatus.KILLED);
            return asIs("ends with the status");
        });
        probe("MlflowClient.setTerminated(String, RunStatus, long)", () -> {
            official.setTerminated(newRun(), RunStatus.FAILED, System.currentTimeMillis());
            return asIs("ends with status and time");
        });
        probe("MlflowClient.sendGet(String)", () -> {
            assertTrue(official.sendGet("experiments/get?experiment_id=" + exp).contains(exp));
            return asIs("raw GET under /api/2.0/mlflow/");
        });
        probe("MlflowClient.sendPost(String, String)", () -> {
            official.sendPost("runs/set-tag", "{\"run_id\":\"" + runId + "\",\"key\":\"raw\",\"value\":\"1\"}");
            return asIs("raw POST under /api/2.0/mlflow/");
        });
        probe("MlflowClient.sendPatch(String, String)", () -> {
            official.sendPatch("registered-models/update", "{\"name\":\"" + model + "\",\"description\":\"d\"}");
            return asIs("raw PATCH under /api/2.0/mlflow/");
        });
        probe("MlflowClient.close()", () -> {
            new MlflowClient(uri).close();
            return asIs("closes");
        });
    }

    private void registerRegistryAndArtifactProbes() {
        probe("MlflowClient.logArtifact(String, File)", () -> python(
                () -> official.logArtifact(runId, file("a.txt")), "artifacts().upload(runId, path)",
                () -> mlflow.artifacts().upload(runId, file("a.txt").toPath())));
        probe("MlflowClient.logArtifact(String, File, String)", () -> python(
                () -> official.logArtifact(runId, file("b.txt"), "dir"), "artifacts().upload(runId, path, artifactPath)",
                () -> mlflow.artifacts().upload(runId, file("b.txt").toPath(), "dir")));
        probe("MlflowClient.logArtifacts(String, File)", () -> python(
                () -> official.logArtifacts(runId, tmp.toFile()), "artifacts().upload(runId, dir)",
                () -> checkNestedUpload(null)));
        probe("MlflowClient.logArtifacts(String, File, String)", () -> python(
                () -> official.logArtifacts(runId, tmp.toFile(), "all"), "artifacts().upload(runId, dir, artifactPath)",
                () -> checkNestedUpload("all")));
        probe("MlflowClient.listArtifacts(String)", () -> python(
                () -> official.listArtifacts(runId), "artifacts().list(runId)",
                () -> assertTrue(mlflow.artifacts().list(runId).size() >= 1)));
        probe("MlflowClient.listArtifacts(String, String)", () -> python(
                () -> official.listArtifacts(runId, "model"), "artifacts().list(runId, path)",
                () -> assertEquals(1, mlflow.artifacts().list(runId, "model").size())));
        probe("MlflowClient.downloadArtifacts(String)", () -> python(
                () -> official.downloadArtifacts(runId), "artifacts().download(runId, \"\", dir)",
                () -> assertTrue(Files.exists(mlflow.artifacts().download(runId, "", tmp.resolve("all1"))))));
        probe("MlflowClient.downloadArtifacts(String, String)", () -> python(
                () -> official.downloadArtifacts(runId, "model"), "artifacts().download(runId, path, dir)",
                () -> assertTrue(Files.exists(mlflow.artifacts().download(runId, "model", tmp.resolve("m1"))
                        .resolve("MLmodel")))));
        probe("MlflowClient.downloadModelVersion(String, String)", () -> python(
                () -> official.downloadModelVersion(model, "1"), "artifacts().downloadModelVersion(name, version, dir)",
                () -> assertTrue(Files.exists(mlflow.artifacts().downloadModelVersion(model, "1", tmp.resolve("mv1"))
                        .resolve("MLmodel")))));
        probe("MlflowClient.downloadLatestModelVersion(String, String)", () -> python(
                () -> official.downloadLatestModelVersion(model, "None"),
                "artifacts().downloadModelVersion(name, registeredModels().getLatestVersions(...).get(0).getVersion(), dir)",
                () -> {
                    String v = mlflow.registeredModels().getLatestVersions(model, List.of("None")).get(0).getVersion();
                    assertTrue(Files.exists(mlflow.artifacts().downloadModelVersion(model, v, tmp.resolve("mv2"))));
                }));
        probe("MlflowClient.getLatestVersions(String)", () -> {
            assertEquals(1, official.getLatestVersions(model).size());
            return asIs("returns the latest version per stage");
        });
        probe("MlflowClient.getLatestVersions(String, Iterable)", () -> {
            assertEquals(1, official.getLatestVersions(model, List.of("None")).size());
            return asIs("returns the latest version of the stages");
        });
        probe("MlflowClient.getModelVersion(String, String)", () -> {
            assertEquals("1", official.getModelVersion(model, "1").getVersion());
            return asIs("returns the version (registry writes: registeredModels(), modelVersions())");
        });
        probe("MlflowClient.getRegisteredModel(String)", () -> {
            assertEquals(model, official.getRegisteredModel(model).getName());
            return asIs("returns the model (no searchRegisteredModels: registeredModels().search)");
        });
        probe("MlflowClient.getModelVersionDownloadUri(String, String)", () -> {
            assertTrue(official.getModelVersionDownloadUri(model, "1").endsWith("/model"));
            return asIs("returns the URI");
        });
        probe("MlflowClient.searchModelVersions()", () -> {
            official.searchModelVersions();
            return asIs("returns a ModelVersionsPage");
        });
        probe("MlflowClient.searchModelVersions(String)", () -> {
            assertEquals(1, official.searchModelVersions("name='" + model + "'").getItems().size());
            return asIs("returns a ModelVersionsPage");
        });
        probe("MlflowClient.searchModelVersions(String, int, List)", () -> {
            official.searchModelVersions("name='" + model + "'", 10, List.of());
            return asIs("returns a ModelVersionsPage");
        });
        probe("MlflowClient.searchModelVersions(String, int, List, String)", () -> {
            official.searchModelVersions("name='" + model + "'", 10, List.of(), null);
            return asIs("returns a ModelVersionsPage");
        });
    }

    private void registerContextProbes() {
        probe("new MlflowContext()", () -> {
            new MlflowContext().getClient().getExperiment("0");
            return new Verdict(Status.THROUGH, "reads MLFLOW_TRACKING_URI and connects; ignores the auth variables",
                    "new MlflowContext(OfficialBridge.officialClient(config))");
        });
        probe("new MlflowContext(String)", () -> {
            new MlflowContext(uri).getClient().getExperiment("0");
            return new Verdict(Status.THROUGH, "connects; ignores the auth variables",
                    "new MlflowContext(OfficialBridge.officialClient(config))");
        });
        probe("new MlflowContext(MlflowClient)", () -> {
            new MlflowContext(OfficialBridge.officialClient(mlflow.config())).getClient().getExperiment("0");
            return asIs("takes the client OfficialBridge builds");
        });
        probe("MlflowContext.getClient()", () -> {
            new MlflowContext(official).getClient();
            return asIs("returns the client");
        });
        probe("MlflowContext.setExperimentName(String)", () -> {
            String name = LiveServer.unique("ctx");
            official.createExperiment(name);
            new MlflowContext(official).setExperimentName(name);
            return asIs("sets an existing experiment (throws for a missing one)");
        });
        probe("MlflowContext.setExperimentId(String)", () -> {
            new MlflowContext(official).setExperimentId(exp);
            return asIs("sets");
        });
        probe("MlflowContext.getExperimentId()", () -> {
            assertEquals(exp, new MlflowContext(official).setExperimentId(exp).getExperimentId());
            return asIs("returns it");
        });
        probe("MlflowContext.startRun()", () -> {
            new MlflowContext(official).setExperimentId(exp).startRun().endRun();
            return asIs("starts a run");
        });
        probe("MlflowContext.startRun(String)", () -> {
            new MlflowContext(official).setExperimentId(exp).startRun("named").endRun();
            return asIs("starts a named run");
        });
        probe("MlflowContext.startRun(String, String)", () -> {
            ActiveRun parent = new MlflowContext(official).setExperimentId(exp).startRun("parent");
            new MlflowContext(official).setExperimentId(exp).startRun("child", parent.getId()).endRun();
            parent.endRun();
            return asIs("starts a nested run");
        });
        probe("MlflowContext.withActiveRun(Consumer)", () -> withActiveRunProbe(false));
        probe("MlflowContext.withActiveRun(String, Consumer)", () -> withActiveRunProbe(true));

        probe("ActiveRun.getId()", () -> activeRun(run -> assertTrue(!run.getId().isEmpty()), "returns the id"));
        probe("ActiveRun.logParam(String, String)", () -> activeRun(run -> run.logParam("a", "1"), "logs"));
        probe("ActiveRun.setTag(String, String)", () -> activeRun(run -> run.setTag("a", "1"), "sets"));
        probe("ActiveRun.logMetric(String, double)", () -> activeRun(run -> run.logMetric("a", 1), "logs"));
        probe("ActiveRun.logMetric(String, double, int)", () -> activeRun(run -> run.logMetric("a", 1, 2), "logs"));
        probe("ActiveRun.logMetrics(Map)", () -> activeRun(run -> run.logMetrics(Map.of("a", 1.0)), "logs"));
        probe("ActiveRun.logMetrics(Map, int)", () -> activeRun(run -> run.logMetrics(Map.of("a", 1.0), 3), "logs"));
        probe("ActiveRun.logParams(Map)", () -> activeRun(run -> run.logParams(Map.of("b", "2")), "logs"));
        probe("ActiveRun.setTags(Map)", () -> activeRun(run -> run.setTags(Map.of("b", "2")), "sets"));
        probe("ActiveRun.getArtifactUri()", () -> activeRun(run -> assertTrue(run.getArtifactUri()
                .startsWith("mlflow-artifacts:")), "returns the artifact URI"));
        probe("ActiveRun.endRun()", () -> activeRun(run -> { }, "ends FINISHED"));
        probe("ActiveRun.endRun(RunStatus)", () -> {
            ActiveRun run = new MlflowContext(official).setExperimentId(exp).startRun();
            run.endRun(RunStatus.KILLED);
            assertEquals(RunStatus.KILLED, official.getRun(run.getId()).getInfo().getStatus());
            return asIs("ends with the status");
        });
        probe("ActiveRun.logArtifact(Path)", () -> activeRunPython(run -> run.logArtifact(file("c.txt").toPath()),
                "mlflow.attachRun(run.getId()).logArtifact(path)"));
        probe("ActiveRun.logArtifact(Path, String)", () -> activeRunPython(
                run -> run.logArtifact(file("c.txt").toPath(), "x"), "mlflow.attachRun(run.getId()).logArtifact(path, dir)"));
        probe("ActiveRun.logArtifacts(Path)", () -> activeRunPython(run -> run.logArtifacts(tmp),
                "mlflow.attachRun(run.getId()).logArtifacts(dir)", ours -> checkNested(ours, null)));
        probe("ActiveRun.logArtifacts(Path, String)", () -> activeRunPython(run -> run.logArtifacts(tmp, "x"),
                "mlflow.attachRun(run.getId()).logArtifacts(dir, artifactPath)", ours -> checkNested(ours, "x")));
    }

    @FunctionalInterface
    interface RunCall {
        void run(ActiveRun run) throws Exception;
    }

    private Verdict activeRun(RunCall call, String observed) throws Exception {
        ActiveRun run = new MlflowContext(official).setExperimentId(exp).startRun();
        call.run(run);
        run.endRun();
        assertEquals(RunStatus.FINISHED, official.getRun(run.getId()).getInfo().getStatus());
        return asIs(observed);
    }

    private Verdict activeRunPython(RunCall call, String replacement) throws Exception {
        return activeRunPython(call, replacement, ours -> ours.logArtifact(file("native.txt").toPath()));
    }

    @FunctionalInterface
    interface NativeCall {
        void run(io.mlflowrest.ActiveRun ours) throws Exception;
    }

    /** The replacement is run and checked: {@code check} gets our ActiveRun attached to the official one. */
    private Verdict activeRunPython(RunCall call, String replacement, NativeCall check) throws Exception {
        ActiveRun run = new MlflowContext(official).setExperimentId(exp).startRun();
        try {
            return python(() -> call.run(run), replacement, () -> {
                try (io.mlflowrest.ActiveRun ours = OfficialBridge.attach(mlflow, run)) {
                    check.run(ours);
                }
            });
        } finally {
            run.endRun();
        }
    }

    /** The official withActiveRun ends the run FAILED but swallows the block's exception. */
    private Verdict withActiveRunProbe(boolean named) {
        MlflowContext context = new MlflowContext(official).setExperimentId(exp);
        String[] id = new String[1];
        boolean propagated;
        try {
            java.util.function.Consumer<ActiveRun> block = run -> {
                id[0] = run.getId();
                throw new IllegalStateException("block failed");
            };
            if (named) {
                context.withActiveRun("failing", block);
            } else {
                context.withActiveRun(block);
            }
            propagated = false;
        } catch (IllegalStateException e) {
            propagated = true;
        }
        RunStatus status = official.getRun(id[0]).getInfo().getStatus();
        if (propagated) {
            return asIs("the block's exception propagated; run " + status);
        }
        IllegalStateException thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> mlflow.withRun(RunOptions.inExperiment(exp), run -> {
                    throw new IllegalStateException("block failed");
                }));
        assertEquals("block failed", thrown.getMessage());
        return new Verdict(Status.THROUGH, "run ends " + status + " but the block's exception is swallowed",
                "mlflow.withRun(RunOptions.inExperiment(id), run -> ...)  (rethrows)");
    }
}
