"""The artifact backends are real: the official `mlflow` client logs, lists and reads artifacts
through each (started by the harness CLI, as SDK tests use it), and the Databricks stand-in
serves it everything a Databricks workspace would for runs and models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.backends import ArtifactBackend
from tests.harness.databricks import REQUIRED_PUT_HEADER
from tests.harness.server import ROOT
from tests.harness.stores import BUCKET

ROOTS = {"s3": "s3://mlflow/artifacts/", "azure": "wasbs://mlflow@mlflowrest.blob.core.windows.net/artifacts/",
         "path": "/"}  # fmt: skip
TIMEOUT = 600  # per official-client command: a model log imports most of mlflow on 2 busy cores


@pytest.fixture(scope="module")
def tree() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="mlflowrest-tree-"))
    (folder / "a" / "b").mkdir(parents=True)
    (folder / "top.txt").write_text("top\n")
    (folder / "a" / "b" / "deep.bin").write_bytes(bytes(range(256)) * 40)
    (folder / "a" / "same.txt").write_text("under a\n")
    return folder


def last_json(out: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def official(env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "tests.harness.official_client", *args], cwd=ROOT,
                          env={**os.environ, **env},
                          capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return last_json(proc.stdout)


def expected_files(folder: Path) -> dict[str, str]:
    from tests.harness.official_client import files_of

    return files_of(folder)


@pytest.mark.parametrize("kind", ["s3", "azure", "path"])
def test_cli_backend_official_client_roundtrip(kind: str, tree: Path) -> None:
    """`python -m tests.harness run --artifacts KIND -- CMD`: CMD gets what a client needs."""
    cmd = [sys.executable, "-m", "tests.harness", "run", "--artifacts", kind, "--",
           sys.executable, "-m", "tests.harness.official_client", "roundtrip", str(tree)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_", "MLFLOW_", "DATABRICKS_"))}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = last_json(proc.stdout)
    assert result["artifact_uri"].startswith(ROOTS[kind]), result["artifact_uri"]
    assert result["read"] == expected_files(tree)
    assert [(f["path"], f["is_dir"]) for f in result["listed"]] == [("files/a", True), ("files/top.txt", False)]


@pytest.fixture(scope="module")
def databricks() -> Iterator[ArtifactBackend]:
    with ArtifactBackend("databricks") as backend:
        yield backend


def test_databricks_standin_runs_artifacts(databricks: ArtifactBackend, tree: Path) -> None:
    result = official(databricks.env, "roundtrip", str(tree))
    run_id = result["run_id"]
    assert result["artifact_uri"].startswith("dbfs:/databricks/mlflow-tracking/")
    assert result["artifact_uri"].endswith(f"/{run_id}/artifacts")
    assert result["read"] == expected_files(tree)
    assert [(f["path"], f["is_dir"]) for f in result["listed"]] == [("files/a", True), ("files/top.txt", False)]
    # The bytes went through signed URLs into s3proxy, under the dbfs root's key.
    assert databricks.s3 is not None
    key = result["artifact_uri"].removeprefix("dbfs:/") + "/files/a/b/deep.bin"
    assert (databricks.s3.data_dir / BUCKET / key).read_bytes() == (tree / "a" / "b" / "deep.bin").read_bytes()
    calls = {(m, p, s) for m, p, s in databricks.standin.calls}  # type: ignore[union-attr]
    assert ("POST", "/api/2.0/mlflow/artifacts/credentials-for-write", 200) in calls
    assert ("POST", "/api/2.0/mlflow/artifacts/credentials-for-read", 200) in calls
    assert any(p.startswith("/api/2.0/fs/") and s == 501 for _, p, s in calls)  # tried the Files API first


def test_databricks_standin_logged_model(databricks: ArtifactBackend) -> None:
    result = official(databricks.env, "model")
    model_id = result["model_id"]
    assert result["artifact_location"].startswith("dbfs:/databricks/mlflow-tracking/")
    assert result["artifact_location"].endswith(f"/logged_models/{model_id}/artifacts")
    assert result["prediction"] == [2.0, 5.0]
    assert "MLmodel" in result["model_files"]
    assert result["version_source"] == result["artifact_location"]
    calls = {(m, p) for m, p, _ in databricks.standin.calls}  # type: ignore[union-attr]
    assert ("POST", f"/api/2.0/mlflow/logged-models/{model_id}/artifacts/credentials-for-upload") in calls
    assert ("POST", f"/api/2.0/mlflow/logged-models/{model_id}/artifacts/credentials-for-download") in calls


def test_databricks_standin_multipart_upload(databricks: ArtifactBackend) -> None:
    """Above MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE the client uploads parts to presigned URLs."""
    env = {**databricks.env, "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": str(6 << 20),
           "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE": str(5 << 20)}  # fmt: skip
    result = official(env, "big", str(11 << 20))  # three parts: 5 + 5 + 1 MiB
    assert result["read_back"] == {"big.bin": result["sha256"]}
    calls = [(m, p) for m, p, _ in databricks.standin.calls]  # type: ignore[union-attr]
    assert calls.count(("POST", "/api/2.0/mlflow/artifacts/create-multipart-upload")) == 1
    assert calls.count(("POST", "/api/2.0/mlflow/artifacts/complete-multipart-upload")) == 1


def _post(url: str, body: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_databricks_standin_requires_bearer_token(databricks: ArtifactBackend) -> None:
    url = f"{databricks.url}/api/2.0/mlflow/experiments/search"
    assert _post(url, {"max_results": 1}, None)[0] == 401
    assert _post(url, {"max_results": 1}, "dapi-wrong")[0] == 401
    status, body = _post(url, {"max_results": 1}, databricks.standin.token)  # type: ignore[union-attr]
    assert status == 200 and "experiments" in body
    with urllib.request.urlopen(f"{databricks.url}/.well-known/databricks-config", timeout=30) as r:
        assert "workspace_id" in json.loads(r.read())


def test_databricks_signed_put_needs_the_credential_headers(databricks: ArtifactBackend) -> None:
    """A client that drops a credential's `headers` fails, as it would against Databricks."""
    token = databricks.standin.token  # type: ignore[union-attr]
    status, exp = _post(f"{databricks.url}/api/2.0/mlflow/experiments/create", {"name": "signed-put"}, token)
    assert status == 200
    status, run = _post(f"{databricks.url}/api/2.0/mlflow/runs/create", {"experiment_id": exp["experiment_id"]}, token)
    run_id = run["run"]["info"]["run_id"]
    status, creds = _post(f"{databricks.url}/api/2.0/mlflow/artifacts/credentials-for-write",
                          {"run_id": run_id, "path": ["x.txt"]}, token)  # fmt: skip
    assert status == 200
    info = creds["credential_infos"][0]
    assert info["type"] == "AWS_PRESIGNED_URL" and info["headers"] == [
        {"name": REQUIRED_PUT_HEADER[0], "value": REQUIRED_PUT_HEADER[1]}]  # fmt: skip

    def put(headers: dict[str, str]) -> int:
        req = urllib.request.Request(info["signed_uri"], data=b"x", headers=headers, method="PUT")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert put({}) == 403
    assert put({h["name"]: h["value"] for h in info["headers"]}) == 200


def test_databricks_standin_on_azure(tree: Path) -> None:
    """An Azure workspace: AZURE_SAS_URI credentials into Azurite, uploaded in blocks."""
    with ArtifactBackend("databricks", databricks_store="azure") as backend:
        result = official(backend.env, "roundtrip", str(tree))
        assert result["read"] == expected_files(tree)
        assert [(f["path"], f["is_dir"]) for f in result["listed"]] == [("files/a", True), ("files/top.txt", False)]
        assert backend.azure is not None
        key = result["artifact_uri"].removeprefix("dbfs:/") + "/files/a/b/deep.bin"
        blob = backend.azure.blob_service().get_blob_client(BUCKET, key).download_blob().readall()
        assert blob == (tree / "a" / "b" / "deep.bin").read_bytes()
