"""Artifacts through every store the server may keep them in, each a real server started by the
harness (tests/harness/backends.py): s3proxy for S3, Azurite for Azure Blob, a plain folder, and
the Databricks stand-in (signed S3 URLs into s3proxy, or SAS URLs into Azurite). The proxied
store is test_live_server's."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

import mlflowrest
from mlflowrest import InvalidParameterValueError, MlflowClient, ResourceDoesNotExistError
from mlflowrest._config import Config

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from tests.harness.backends import ArtifactBackend  # noqa: E402

# databricks-azure: the stand-in hands out Azure SAS URLs into Azurite instead of S3 URLs.
BACKENDS = ["s3", "azure", "path", "databricks", "databricks-azure"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[ArtifactBackend]:
    kind, _, store = request.param.partition("-")
    with ArtifactBackend(kind, databricks_store=store or "s3") as started, mock.patch.dict(os.environ, started.env):
        print(f"\n{request.param} artifact backend at {started.url}")
        yield started


@pytest.fixture(scope="module")
def client(backend: ArtifactBackend) -> MlflowClient:
    config = Config.from_env(None, env=backend.env, backoff_factor=0.1, backoff_jitter=0.0)
    return MlflowClient(config=config)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def tree(root: Path) -> Path:
    """Same file names in different folders (train/ and test/), a nested folder, an empty file."""
    files = {"train/data.csv": b"a,b\n1,2\n", "test/data.csv": b"a,b\n3,4\n", "deep/er/est/x.bin": os.urandom(3 << 20),
             "empty.bin": b"", "readme.md": "données ü 日本語\n".encode()}  # fmt: skip
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    return root


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def test_nested_folders_keep_their_tree_through_run_and_resource_api(client: MlflowClient, tmp_path: Path) -> None:
    src = tree(tmp_path / "src")
    exp = client.experiments.get_or_create(unique("tree"))
    with mlflowrest.start_run(experiment_id=exp, client=client) as run:
        stored = run.log_artifacts(src, "fluent")
        out_fluent = run.download_artifacts("fluent", tmp_path / "f")
    assert sorted(stored) == sorted(f"fluent/{rel}" for rel in digests(src))
    assert digests(out_fluent) == digests(src)
    client.artifacts.upload(run.run_id, src, "resource")
    listed = {(f.path, f.is_dir) for f in client.artifacts.list_files(run.run_id, "resource")}
    assert {("resource/train", True), ("resource/test", True), ("resource/readme.md", False)} <= listed
    assert digests(client.artifacts.download(run.run_id, "resource", tmp_path / "r")) == digests(src)
    single = client.artifacts.download(f"runs:/{run.run_id}/resource/deep/er/est/x.bin", tmp_path / "one")
    assert single.read_bytes() == (src / "deep/er/est/x.bin").read_bytes()
    with pytest.raises(ResourceDoesNotExistError):
        client.artifacts.download(run.run_id, "resource/missing.txt", tmp_path / "none")


def test_bad_name_in_a_folder_stores_nothing(client: MlflowClient, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.txt", "bad#name.txt", "z.txt"):
        (src / name).write_text(name)
    run = client.runs.create(experiment_id="0").run
    assert run is not None and run.info is not None and run.info.run_id
    with pytest.raises(InvalidParameterValueError, match=r"bad#name\.txt"):
        client.artifacts.upload(run.info.run_id, src, "d")
    assert client.artifacts.list_files(run.info.run_id) == []


def test_registered_model_by_alias_version_and_logged_model(client: MlflowClient, tmp_path: Path) -> None:
    """MLflow 3's layout: the version's source is models:/m-<id>, its files under the logged model."""
    exp = client.experiments.get_or_create(unique("models"))
    run = client.runs.create(experiment_id=exp).run
    assert run is not None and run.info is not None and run.info.run_id
    logged = client.logged_models.create(experiment_id=exp, name="clf", source_run_id=run.info.run_id).model
    assert logged is not None and logged.info is not None and logged.info.model_id
    model_id = logged.info.model_id
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "model.pkl").write_bytes(os.urandom(1000))
    for f in sorted(folder.iterdir()):
        client.artifacts.upload(f"models:/{model_id}", f)
    name = unique("churn")
    client.registered_models.create(name=name)
    version = client.model_versions.create(name=name, source=f"models:/{model_id}", run_id=run.info.run_id,
                                           model_id=model_id).model_version  # fmt: skip
    assert version is not None and version.version
    client.registered_models.set_alias(name=name, alias="champion", version=version.version)
    for uri in (f"models:/{name}@champion", f"models:/{name}/{version.version}", f"models:/{name}/latest",
                f"models:/{model_id}"):  # fmt: skip
        out = client.artifacts.download(uri, tmp_path / uri.replace(":", "_").replace("/", "_").replace("@", "_"))
        assert digests(out) == digests(folder), uri


# ---- the official client on the same store: it writes, we read; we write, it reads --------------
OFFICIAL = """
import json, sys, mlflow
client = mlflow.MlflowClient()
op, run_id, arg = sys.argv[1:4]
if op == "write":
    client.log_artifacts(run_id, arg, "official")
else:
    print(json.dumps(client.download_artifacts(run_id, "ours", arg)))
"""


@pytest.mark.parametrize("direction", ["official-writes", "official-reads"])
def test_interop_with_the_official_client(backend: ArtifactBackend, client: MlflowClient, tmp_path: Path,
                                          direction: str) -> None:  # fmt: skip
    src = tree(tmp_path / "src")
    run = client.runs.create(experiment_id="0").run
    assert run is not None and run.info is not None and run.info.run_id
    run_id = run.info.run_id
    env = {**os.environ, **backend.env}
    if direction == "official-writes":
        subprocess.run([sys.executable, "-c", OFFICIAL, "write", run_id, str(src)], env=env, check=True, timeout=300)
        assert digests(client.artifacts.download(run_id, "official", tmp_path / "ours")) == digests(src)
    else:
        client.artifacts.upload(run_id, src, "ours")
        done = subprocess.run([sys.executable, "-c", OFFICIAL, "read", run_id, str(tmp_path / "theirs")], env=env,
                              check=True, timeout=300, capture_output=True, text=True)  # fmt: skip
        assert digests(Path(json.loads(done.stdout.strip().splitlines()[-1]))) == digests(src)


# ---- 1 GB: streamed both ways, the client's peak memory flat in the file's size -----------------
TRANSFER = """
import json, resource, sys, time, mlflowrest
op, run_id, arg, dst = sys.argv[1:5]
client = mlflowrest.MlflowClient()
began = time.monotonic()
if op == "up":
    client.artifacts.upload(run_id, arg, "big")
else:
    client.artifacts.download(run_id, "big/" + arg, dst)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.monotonic() - began}))
"""
GB = 1 << 30


def write_file(path: Path, size: int) -> str:
    """A file of `size` bytes written 1 MiB at a time (never held whole); returns its sha256."""
    digest, block = hashlib.sha256(), os.urandom(1 << 20)
    with open(path, "wb") as fh:
        for i in range(size >> 20):
            chunk = i.to_bytes(8, "big") + block[8:]  # no two blocks alike
            fh.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@pytest.mark.parametrize("backend", ["s3", "databricks"], indirect=True)
def test_one_gigabyte_streams_with_flat_memory(backend: ArtifactBackend, client: MlflowClient, tmp_path: Path) -> None:
    run = client.runs.create(experiment_id="0").run
    assert run is not None and run.info is not None and run.info.run_id
    env = {**os.environ, **backend.env}
    peaks: dict[str, float] = {}
    for size in (GB // 8, GB):  # 128 MB, then 1 GB: past every buffer and multipart threshold
        name = f"{size >> 20}MB.bin"
        want = write_file(tmp_path / name, size)
        for op, arg in (("up", str(tmp_path / name)), ("down", name)):
            done = subprocess.run([sys.executable, "-c", TRANSFER, op, run.info.run_id, arg, str(tmp_path / "out")],
                                  env=env, check=True, timeout=900, capture_output=True, text=True)  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            peaks[f"{op} {size >> 20} MB"] = result["peak_mb"]
            print(f"{backend.kind}: {op} {size >> 20} MB: peak RSS {result['peak_mb']:.0f} MB, "
                  f"{size / 1e6 / result['seconds']:.0f} MB/s")  # fmt: skip
        assert sha256_of(tmp_path / "out" / name) == want
        (tmp_path / name).unlink()
        (tmp_path / "out" / name).unlink()
    for op in ("up", "down"):  # 8x the bytes, (almost) the same memory
        assert peaks[f"{op} 1024 MB"] < peaks[f"{op} 128 MB"] + 64, peaks
