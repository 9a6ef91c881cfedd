"""Contract driver for the Python SDK: JSON lines in, JSON lines out (see runner/engine.py).

Spec operations go to client.<x-mlflowrest-resource>.<x-mlflowrest-method>; the few SDK-level
operations (artifact files and folders) are in SDK_OPERATIONS."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import Any

import yaml

import mlflowrest
from mlflowrest import MlflowClient, MlflowError, Page
from mlflowrest._types import Model

SPEC = yaml.safe_load((Path(__file__).resolve().parents[3] / "openapi" / "mlflow.yaml").read_text())
ROUTES = {op["operationId"]: op for item in SPEC["paths"].values() for op in item.values()}


def dump(value: Any) -> Any:
    if isinstance(value, Model):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [dump(v) for v in value]
    return value


def files_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def upload_artifacts(client: MlflowClient, run_id: str, local_path: str, artifact_path: str | None = None) -> Any:
    return {"stored": sorted(client.artifacts.upload(run_id, local_path, artifact_path))}


def list_artifact_files(client: MlflowClient, run_id: str, path: str | None = None) -> Any:
    files = sorted(client.artifacts.list_files(run_id, path), key=lambda f: f.path or "")
    return {"files": dump(files)}


def download_artifacts(client: MlflowClient, run_id: str, path: str) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        out = client.artifacts.download(run_id, path, tmp)
        return {"files": files_of(out) if out.is_dir() else {out.name: sha256(out.read_bytes()).hexdigest()}}


SDK_OPERATIONS: dict[str, Callable[..., Any]] = {
    "uploadArtifacts": upload_artifacts,
    "listArtifactFiles": list_artifact_files,
    "downloadArtifacts": download_artifacts,
}


def execute(client: MlflowClient, op: str, args: dict[str, Any]) -> Any:
    if op in SDK_OPERATIONS:
        return SDK_OPERATIONS[op](client, **args)
    route = ROUTES[op]
    method = getattr(getattr(client, route["x-mlflowrest-resource"]), route["x-mlflowrest-method"])
    result = method(**args)
    if isinstance(result, Page):
        return {result._items_field: dump(list(result))}
    return dump(result) if result is not None else {}


def main() -> None:
    client = MlflowClient(backoff_factor=0.2, backoff_jitter=0.0)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"ok": True, "result": execute(client, request["op"], request["args"])}
        except MlflowError as exc:
            answer = {"ok": False, "error": {
                "class": type(exc).__name__, "error_code": getattr(exc, "error_code", None),
                "http_status": getattr(exc, "http_status", None), "message": str(exc)}}  # fmt: skip
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    assert mlflowrest.__version__
    main()
