"""The official `mlflow` Python client as a command, for checks that need its own process
(it reads MLFLOW_TRACKING_URI, DATABRICKS_HOST, ... from the environment it starts with).

    python -m tests.harness.official_client roundtrip DIR            write, list and read back in one go
    python -m tests.harness.official_client write DIR [EXPERIMENT]  log DIR's files under `files/`
    python -m tests.harness.official_client read RUN_ID PATH         download PATH (file or folder)
    python -m tests.harness.official_client read-uri URI             download a runs:/ or models:/ URI
    python -m tests.harness.official_client list RUN_ID [PATH]       list one folder level
    python -m tests.harness.official_client model                    log, register, list and load a pyfunc model
    python -m tests.harness.official_client big SIZE_BYTES           log one file of SIZE_BYTES and read it back

Each prints one JSON object on its last line of output; files are given as {relative path: sha256}.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files_of(path: Path) -> dict[str, str]:
    if path.is_file():
        return {path.name: digest(path)}
    return {p.relative_to(path).as_posix(): digest(p) for p in sorted(path.rglob("*")) if p.is_file()}


def write(folder: str, experiment: str = "official-client") -> dict[str, Any]:
    import mlflow

    mlflow.set_experiment(experiment)  # Databricks has no default experiment
    with mlflow.start_run(run_name="written-by-official") as run:
        mlflow.log_param("writer", "official")
        mlflow.log_artifacts(folder, "files")
    return {"run_id": run.info.run_id, "artifact_uri": run.info.artifact_uri}


def read(run_id: str, path: str) -> dict[str, Any]:
    import mlflow

    out = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=tempfile.mkdtemp())
    return {"files": files_of(Path(out))}


def read_uri(uri: str) -> dict[str, Any]:
    import mlflow

    out = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tempfile.mkdtemp())
    return {"files": files_of(Path(out))}


def listing(run_id: str, path: str | None = None) -> dict[str, Any]:
    from mlflow import MlflowClient

    found = MlflowClient().list_artifacts(run_id, path)
    return {"files": [{"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size} for f in found]}


def model() -> dict[str, Any]:
    import mlflow
    import pandas as pd
    from mlflow.pyfunc.model import PythonModel

    class Doubler(PythonModel):  # needs nothing but mlflow and pandas
        def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> list[float]:
            return [2.0 * v for v in model_input["x"]]

    name = f"official-{os.getpid()}"
    mlflow.set_experiment("official-client")
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=Doubler(), registered_model_name=name)
    from mlflow import MlflowClient

    client = MlflowClient()
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    # Not by alias: the official client refuses aliases for Databricks' workspace registry.
    version = client.get_model_version(name, "1")
    return {
        "run_id": run.info.run_id, "model_id": info.model_id, "model_uri": info.model_uri,
        "artifact_location": client.get_logged_model(info.model_id).artifact_location,
        "prediction": list(loaded.predict(pd.DataFrame({"x": [1.0, 2.5]}))),
        "registered": name, "version_source": version.source,
        "model_files": sorted(f.path for f in mlflow.artifacts.list_artifacts(artifact_uri=info.model_uri)),
    }  # fmt: skip


def roundtrip(folder: str) -> dict[str, Any]:
    wrote = write(folder)
    return {**wrote, "listed": listing(wrote["run_id"], "files")["files"],
            "read": read(wrote["run_id"], "files")["files"]}  # fmt: skip


def big(size: int) -> dict[str, Any]:
    import mlflow

    folder = Path(tempfile.mkdtemp())
    block = hashlib.sha256(b"big").digest() * 32768  # 1 MiB, deterministic
    with open(folder / "big.bin", "wb") as f:
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    mlflow.set_experiment("official-client")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(folder / "big.bin"), "big")
    back = read(run.info.run_id, "big/big.bin")
    return {"run_id": run.info.run_id, "sha256": digest(folder / "big.bin"), "read_back": back["files"]}


def main(argv: list[str]) -> None:
    commands: dict[str, Callable[..., Any]] = {"roundtrip": roundtrip, "write": write, "read": read,
                                               "read-uri": read_uri, "list": listing,
                "model": model,
                "big": lambda size: big(int(size))}  # fmt: skip
    result = commands[argv[0]](*argv[1:])
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
