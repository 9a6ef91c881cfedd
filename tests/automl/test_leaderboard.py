"""The AutoML examples against one harness server, read back with every SDK.

Runs examples/automl/classification.py and anomaly.py once (in .venv-automl: pycaret 3.3.2 and
the mlflow 2.9.2 client), checks the run layout and the registry with the Python SDK, then has
the Python, Java and R readers (leaderboard.py, Leaderboard.java, leaderboard.R) print each
leaderboard; best model, metric and value must be identical.

AUTOML_PYTHON names the AutoML venv's interpreter (`make test-automl` sets it; without it the
tests skip when .venv-automl is absent). AUTOML_READERS (e.g. "python java r") lists readers
that must run; others run when their SDK is built and are skipped otherwise.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlflowrest import MlflowClient

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples" / "automl"
CLASSIFIERS = {"lr", "knn", "nb", "dt", "rf", "et"}
DETECTORS = {"iforest", "lof", "svm"}
CV_METRICS = {"AUC", "Accuracy", "F1", "Kappa", "MCC", "Prec.", "Recall", "TT"}  # TT: mean fit time (s)


def automl_python() -> Path:
    configured = os.environ.get("AUTOML_PYTHON")
    path = Path(configured or ROOT / ".venv-automl" / "bin" / "python")
    if not path.exists():
        if configured:
            pytest.fail(f"AUTOML_PYTHON={configured} does not exist")
        pytest.skip("no .venv-automl: run `make setup-automl`")
    return path


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    if os.environ.get("MLFLOWREST_TEST_URI"):
        yield os.environ["MLFLOWREST_TEST_URI"]
        return
    from tests.harness import MlflowServer

    with MlflowServer() as server:
        yield server.url


@pytest.fixture(scope="module")
def client(server_url: str) -> MlflowClient:
    return MlflowClient(server_url, backoff_factor=0.1, backoff_jitter=0.0)


@pytest.fixture(scope="module")
def results(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each example's one-line summary (parent run, best model, metric, value), run once."""
    python = automl_python()
    out = tmp_path_factory.mktemp("automl")
    env = {**os.environ, "MLFLOW_TRACKING_URI": server_url}
    found = {}
    for task, script in (("classification", "classification.py"), ("anomaly", "anomaly.py")):
        result = out / f"{task}.json"
        done = subprocess.run([str(python), str(EXAMPLES / script), "--result", str(result)], env=env,
                              capture_output=True, text=True, timeout=1200)  # fmt: skip
        assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
        found[task] = json.loads(result.read_text())
        print(f"\n{script}: {found[task]}")
    return found


def tags_of(run: Any) -> dict[str, str]:
    return {t.key: t.value for t in run.data.tags or []}


def metrics_of(run: Any) -> dict[str, float]:
    return {m.key: m.value for m in run.data.metrics or []}


def children(client: MlflowClient, parent: Any) -> list[Any]:
    return client.runs.search(
        experiment_ids=[parent.info.experiment_id], filter=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    ).to_list()


def test_classification_is_one_parent_with_a_child_per_candidate(
    client: MlflowClient, results: dict[str, dict[str, Any]]
) -> None:
    summary = results["classification"]
    parent = client.runs.get(run_id=summary["parent_run_id"]).run
    assert parent is not None and parent.info is not None and parent.info.experiment_id is not None
    assert parent.info.status == "FINISHED"
    assert tags_of(parent)["automl.role"] == "parent" and tags_of(parent)["automl.sort_metric"] == "AUC"

    kids = children(client, parent)
    assert sorted(tags_of(k)["automl.model_id"] for k in kids) == sorted(CLASSIFIERS)
    for kid in kids:
        assert kid.info.status == "FINISHED"
        assert metrics_of(kid).keys() >= CV_METRICS, kid.info.run_name
        assert 0.5 < metrics_of(kid)["AUC"] <= 1.0 and metrics_of(kid)["TT"] >= 0.0
        assert len(kid.data.params or []) >= 2, f"{kid.info.run_name}: no hyper-parameters logged"
    # nothing else in the experiment: the refit of the best model is not an extra run
    everything = client.runs.search(experiment_ids=[parent.info.experiment_id]).to_list()
    assert len(everything) == 1 + len(CLASSIFIERS)

    best = min(kids, key=lambda k: (-metrics_of(k)["AUC"], tags_of(k)["automl.model_name"]))
    assert (tags_of(best)["automl.model_name"], metrics_of(best)["AUC"]) == (summary["best_model"], summary["value"])
    assert tags_of(parent)["automl.best_model"] == summary["best_model"]


def test_best_classifier_is_logged_and_registered_with_the_alias(
    client: MlflowClient, results: dict[str, dict[str, Any]]
) -> None:
    summary = results["classification"]
    assert "model/MLmodel" in {f.path for f in client.artifacts.list_files(summary["parent_run_id"], "model")}
    version = client.registered_models.get_version_by_alias(name=summary["registered_model"], alias="champion")
    mv = version.model_version
    assert mv is not None and mv.version == summary["version"] and mv.status == "READY"
    assert mv.run_id == summary["parent_run_id"]
    assert {t.key: t.value for t in mv.tags or []}["automl.best_model"] == summary["best_model"]


def test_anomaly_detectors_are_children_with_fraction_and_labelled_csv(
    client: MlflowClient, results: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    summary = results["anomaly"]
    parent = client.runs.get(run_id=summary["parent_run_id"]).run
    assert parent is not None and parent.info is not None and parent.info.run_id is not None
    assert parent.info.status == "FINISHED"
    assert "labelled_transactions.csv" in {f.path for f in client.artifacts.list_files(parent.info.run_id)}

    kids = children(client, parent)
    assert sorted(tags_of(k)["automl.model_id"] for k in kids) == sorted(DETECTORS)
    for kid in kids:
        metrics = metrics_of(kid)
        assert 0.0 < metrics["anomaly_fraction"] <= 0.1, (kid.info.run_name, metrics)
        assert {"TT", "precision_injected", "recall_injected", "f1_injected"} <= metrics.keys()
        local = client.artifacts.download(kid.info.run_id, "labelled_transactions.csv", tmp_path / kid.info.run_id)
        with open(local, newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 3000 and {"Anomaly", "Anomaly_Score", "is_injected"} <= rows[0].keys()
        flagged = sum(int(r["Anomaly"]) for r in rows)
        assert flagged / len(rows) == pytest.approx(metrics["anomaly_fraction"])
        assert sum(int(r["is_injected"]) for r in rows) == 60  # 2% of 3000 injected, fixed seed


def java_classpath() -> str | None:
    """AUTOML_JAVA_CLASSPATH, else the SDK's compiled classes (or jar) plus java/target/classpath.txt."""
    if os.environ.get("AUTOML_JAVA_CLASSPATH"):
        return os.environ["AUTOML_JAVA_CLASSPATH"]
    target = ROOT / "java" / "target"
    sdk = [target / "classes"] if (target / "classes" / "io" / "mlflowrest" / "MlflowRestClient.class").exists() else [
        p for p in sorted(target.glob("mlflowrest*.jar")) if "example" not in p.name
    ]  # fmt: skip
    deps = target / "classpath.txt"
    if not sdk or not deps.exists():
        return None
    return os.pathsep.join([str(sdk[0]), deps.read_text().strip()])


def readers() -> dict[str, list[str] | None]:
    """The command of each reader, or None when its language or SDK is not available here."""
    java_cp = java_classpath()
    has_r = shutil.which("Rscript") and (ROOT / ".work" / "rlib" / "mlflowrest").is_dir()
    return {
        "python": [sys.executable, str(HERE / "leaderboard.py")],
        "java": ["java", "-cp", java_cp, str(HERE / "Leaderboard.java")] if java_cp and shutil.which("java") else None,
        "r": ["Rscript", str(HERE / "leaderboard.R")] if has_r else None,
    }


def read(reader: str, parent_run_id: str, server_url: str) -> dict[str, Any]:
    command = readers()[reader]
    required = set(os.environ.get("AUTOML_READERS", "python").replace(",", " ").split())
    if command is None:
        if reader in required:
            pytest.fail(f"the {reader} reader is required (AUTOML_READERS) but its SDK is not built")
        pytest.skip(f"{reader} SDK not built here")
    env = {**os.environ, "MLFLOW_TRACKING_URI": server_url, "R_LIBS": str(ROOT / ".work" / "rlib")}
    done = subprocess.run([*command, parent_run_id], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{reader} reader failed:\n{done.stderr[-3000:]}"
    line = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{reader}: {json.dumps(line)}")
    return line


@pytest.mark.parametrize("task", ["classification", "anomaly"])
def test_python_reader_reports_what_the_example_logged(
    task: str, results: dict[str, dict[str, Any]], server_url: str
) -> None:
    summary = results[task]
    board = read("python", summary["parent_run_id"], server_url)
    assert (board["best_model"], board["metric"], board["value"]) == (
        summary["best_model"], summary["metric"], summary["value"])  # fmt: skip
    assert board["candidates"] == summary["children"]


@pytest.mark.parametrize("reader", ["java", "r"])
@pytest.mark.parametrize("task", ["classification", "anomaly"])
def test_every_sdk_reads_the_same_leaderboard(
    reader: str, task: str, results: dict[str, dict[str, Any]], server_url: str
) -> None:
    parent = results[task]["parent_run_id"]
    expected = read("python", parent, server_url)
    got = read(reader, parent, server_url)
    keys = ("best_model", "metric", "value", "candidates")
    assert {k: got[k] for k in keys} == {k: expected[k] for k in keys}
