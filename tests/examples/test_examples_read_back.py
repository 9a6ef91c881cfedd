"""The Java and R examples run against one server; the Python SDK reads back what they logged.

- Java (`java -jar java/example/target/mlflowrest-example.jar`, with Python ruled out): param alpha, metric rmse,
  tag origin, the artifact's bytes, the registered model version, status FINISHED.
- R (`r/examples/pima_random_forest.R`): ntree and mtry, sensitivity and specificity, the PNG plot,
  and a model folder with an MLmodel file.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlflowrest import MlflowClient
from tests.contract.runner.engine import ROOT, languages
from tests.harness import MlflowServer

LANGS = languages()


@pytest.fixture(scope="module")
def server() -> Iterator[MlflowServer]:
    with MlflowServer() as s:
        yield s


def run(cmd: list[str], uri: str, **env: str) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MLFLOW_TRACKING_URI": uri, "R_LIBS": str(ROOT / ".work" / "rlib"),
                               **env})  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def only_run(client: MlflowClient, experiment: str) -> str:
    found = client.experiments.get_by_name(experiment_name=experiment).experiment
    assert found is not None and found.experiment_id
    runs = client.runs.search(experiment_ids=[found.experiment_id]).to_list()
    assert len(runs) == 1 and runs[0].info is not None and runs[0].info.run_id
    return runs[0].info.run_id


@pytest.mark.skipif("java" not in LANGS, reason="the Java SDK is not part of this run")
def test_java_example_is_read_back_by_python(server: MlflowServer) -> None:
    out = run(["java", "-jar", str(ROOT / "java" / "example" / "target" / "mlflowrest-example.jar")], server.url,
              MLFLOW_PYTHON_EXECUTABLE="/bin/false")  # fmt: skip
    client = MlflowClient(server.url)
    run_id = only_run(client, "chapter-example")
    assert run_id in out
    got = client.runs.get(run_id=run_id).run
    assert got is not None and got.info is not None and got.data is not None
    assert got.info.status == "FINISHED"
    assert {p.key: p.value for p in got.data.params or []}["alpha"] == "0.5"
    assert {m.key: m.value for m in got.data.metrics or []}["rmse"] == 0.786
    assert {t.key: t.value for t in got.data.tags or []}["origin"] == "chapter-example"
    with tempfile.TemporaryDirectory() as tmp:
        model = client.artifacts.download(run_id, "model/model.txt", tmp)
        assert model.read_text() == "alpha=0.5\nrmse=0.786\n"
    versions = client.model_versions.search(filter="name = 'chapter-example-model'").to_list()
    assert [v.run_id for v in versions] == [run_id]
    print(f"\njava example: run {run_id} read back by Python (param, metric, tag, artifact, model version)")


@pytest.mark.skipif("r" not in LANGS, reason="the R package is not part of this run")
def test_r_example_is_read_back_by_python(server: MlflowServer) -> None:
    out = run(["Rscript", str(ROOT / "r" / "examples" / "pima_random_forest.R")], server.url)
    assert "the reloaded model gives the same sensitivity and specificity" in out
    client = MlflowClient(server.url)
    run_id = only_run(client, "pima-random-forest")
    got = client.runs.get(run_id=run_id).run
    assert got is not None and got.info is not None and got.data is not None
    assert got.info.status == "FINISHED"
    assert set({p.key for p in got.data.params or []}) >= {"ntree", "mtry"}
    metrics = {m.key: m.value for m in got.data.metrics or []}
    assert 0 < metrics["sensitivity"] <= 1 and 0 < metrics["specificity"] <= 1
    assert f"sensitivity {metrics['sensitivity']:.4f}" in out
    with tempfile.TemporaryDirectory() as tmp:
        png = client.artifacts.download(run_id, "confusion_matrix.png", tmp)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        model = client.artifacts.download(run_id, "model", Path(tmp) / "m")
        assert (model / "MLmodel").is_file()
    print(f"\nR example: run {run_id} read back by Python (params, metrics {metrics}, PNG, model)")


@pytest.mark.skipif("java" not in LANGS, reason="the Java SDK is not part of this run")
@pytest.mark.parametrize("kind", ["s3", "databricks"])
def test_java_example_on_object_stores_is_read_back(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chapter's jar, Python ruled out, against a server whose artifacts live in S3 (written
    straight to s3proxy) and against the Databricks stand-in (signed URLs); Python reads back."""
    from tests.harness.backends import ArtifactBackend

    with ArtifactBackend(kind) as backend:
        for key, value in backend.env.items():
            monkeypatch.setenv(key, value)
        jar = str(ROOT / "java" / "example" / "target" / "mlflowrest-example.jar")
        out = run(["java", "-jar", jar], backend.env["MLFLOW_TRACKING_URI"],
                  MLFLOW_PYTHON_EXECUTABLE="/bin/false")  # fmt: skip
        client = MlflowClient()
        run_id = only_run(client, "chapter-example")
        assert run_id in out
        got = client.runs.get(run_id=run_id).run
        assert got is not None and got.info is not None and got.info.status == "FINISHED"
        assert (got.info.artifact_uri or "").startswith({"s3": "s3://", "databricks": "dbfs:/"}[kind])
        with tempfile.TemporaryDirectory() as tmp:
            model = client.artifacts.download(run_id, "model/model.txt", tmp)
            assert model.read_text() == "alpha=0.5\nrmse=0.786\n"
        print(f"\njava example on {kind}: run {run_id} at {got.info.artifact_uri}, model read back by Python")
