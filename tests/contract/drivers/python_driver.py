"""Contract driver for the Python SDK: JSON lines in, JSON lines out (see runner/engine.py).

Spec operations go to client.<x-mlflowrest-resource>.<x-mlflowrest-method>; the few SDK-level
operations (artifact files and folders) are in SDK_OPERATIONS."""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
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


def download_artifact_uri(client: MlflowClient, uri: str) -> Any:
    """runs:/<id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, models:/m-<id>."""
    with tempfile.TemporaryDirectory() as tmp:
        out = client.artifacts.download(uri, tmp)
        return {"files": files_of(out) if out.is_dir() else {out.name: sha256(out.read_bytes()).hexdigest()}}


def fluent_log_artifacts(client: MlflowClient, experiment_id: str, run_name: str, local_path: str,
                         artifact_path: str | None = None) -> Any:  # fmt: skip
    with mlflowrest.start_run(experiment_id=experiment_id, run_name=run_name, client=client) as run:
        run.log_artifact(local_path, artifact_path)
    return {"run_id": run.run_id}


def background_log(client: MlflowClient, experiment_id: str, key: str, count: int, pause_ms: int = 0,
                   refuse_step: int | None = None) -> Any:  # fmt: skip
    """A new run that logs `count` points through the background logger, `pause_ms` apart, then ends.
    The point at `refuse_step` has timestamp -1, which the server refuses."""
    with mlflowrest.start_run(experiment_id=experiment_id, client=client, background=True,
                              flush_interval=0.2) as run:  # fmt: skip
        for step in range(count):
            run.log_metric(key, float(step), step=step, timestamp=-1 if step == refuse_step else None)
            if pause_ms:
                time.sleep(pause_ms / 1000)
    return {"run_id": run.run_id}


SDK_OPERATIONS: dict[str, Callable[..., Any]] = {
    "uploadArtifacts": upload_artifacts,
    "listArtifactFiles": list_artifact_files,
    "downloadArtifacts": download_artifacts,
    "downloadArtifactUri": download_artifact_uri,
    "fluentLogArtifacts": fluent_log_artifacts,
    "backgroundLog": background_log,
}

CLIENT: dict[str, MlflowClient] = {}


def connect(tracking_uri: str, **options: Any) -> Any:
    """A new client: tracking_uri plus username/password/token/insecure_tls/server_cert_path."""
    CLIENT["current"] = MlflowClient(tracking_uri, **options)
    return {"repr": repr(CLIENT["current"])}


def effective_config(env: dict[str, str]) -> Any:
    """The configuration these variables give (family-rules.yaml, config), secrets masked."""
    cfg = mlflowrest.Config.from_env(env=env)
    return {"tracking_uri": cfg.tracking_uri, "username": cfg.username,
            "password": "***" if cfg.password else None, "token": "***" if cfg.token else None,
            "insecure_tls": cfg.insecure_tls, "server_cert_path": cfg.server_cert_path,
            "client_cert_path": cfg.client_cert_path, "max_retries": cfg.max_retries,
            "backoff_factor": cfg.backoff_factor, "backoff_jitter": cfg.backoff_jitter, "timeout": cfg.timeout,
            "batch_concurrency": cfg.batch_concurrency, "host_write_slots": cfg.host_write_slots,
            "overload_timeout": cfg.overload_timeout, "journal_dir": cfg.journal_dir,
            "journal_fsync": cfg.journal_fsync, "journal_fsync_interval": cfg.journal_fsync_interval,
            "journal_on_unreachable": cfg.journal_on_unreachable}  # fmt: skip


def execute(client: MlflowClient | None, op: str, args: dict[str, Any]) -> Any:
    if op == "connect":
        return connect(**args)
    if op == "effectiveConfig":
        return effective_config(**args)
    assert client is not None
    if op in SDK_OPERATIONS:
        return SDK_OPERATIONS[op](client, **args)
    route = ROUTES[op]
    method = getattr(getattr(client, route["x-mlflowrest-resource"]), route["x-mlflowrest-method"])
    result = method(**args)
    if isinstance(result, Page):
        # max_results: the most results wanted (the contract's meaning, R's accumulate-up-to).
        items = list(itertools.islice(result, args.get("max_results")))
        return {result._items_field: dump(items)}
    return dump(result) if result is not None else {}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if "current" not in CLIENT and request["op"] != "effectiveConfig":
                CLIENT["current"] = MlflowClient()
            answer = {"ok": True, "result": execute(CLIENT.get("current"), request["op"], request["args"])}
        except MlflowError as exc:
            answer = {"ok": False, "error": {  # the same fields as the Java and R drivers
                "class": type(exc).__name__, "error_code": getattr(exc, "error_code", None),
                "http_status": getattr(exc, "http_status", None), "message": str(exc),
                "field": getattr(exc, "field", None), "limit": getattr(exc, "limit", None)}}  # fmt: skip
        except Exception as exc:  # not an SDK error: a defect the runner must report as such
            answer = {"ok": False, "error": {"class": f"{type(exc).__module__}.{type(exc).__name__}",
                                             "message": str(exc)[:500]}}  # fmt: skip
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    assert mlflowrest.__version__
    main()
