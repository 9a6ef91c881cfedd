"""Deployment target `mlflowrest-local` for the official mlflow client (entry point group
`mlflow.deployments`): each deployment is a model server process on 127.0.0.1.

    mlflow deployments create -t mlflowrest-local --name churn -m models:/churn@champion
    mlflow deployments predict -t mlflowrest-local --name churn --input-path rows.json
    mlflow deployments delete -t mlflowrest-local --name churn

Target URI: `mlflowrest-local` keeps its records in $MLFLOWREST_DEPLOYMENTS_DIR (default
~/.mlflowrest/deployments); `mlflowrest-local:/some/dir` keeps them in /some/dir. A record is
`<name>.json` (model URI, port, pid) next to the server's log `<name>.log`. The server runs
`python -m mlflowrest.plugins.serve` with this interpreter and the caller's tracking and
registry URIs, so `models:/` and `runs:/` URIs resolve against the same server.

mlflow wants one BaseDeploymentClient subclass in this module. It is made on first access
(module __getattr__), so that importing this module, like importing mlflowrest, loads no mlflow.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mlflowrest.plugins.serve import HOST, LOAD_FAILED

TARGET = "mlflowrest-local"
STATE_ENV = "MLFLOWREST_DEPLOYMENTS_DIR"
FLAVOR = "python_function"
SERVE_MODULE = "mlflowrest.plugins.serve"
DEFAULT_STARTUP_TIMEOUT = 120.0
STOP_GRACE = 10.0
PREDICT_TIMEOUT = 120.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_CLIENT_CLASS = "LocalServeDeploymentClient"
CONFIG_KEYS = ("port", "startup_timeout")

# Servers this process started; waiting on them after a stop keeps them from lingering as zombies.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass
class Deployment:
    name: str
    model_uri: str
    flavor: str
    port: int
    pid: int
    log: str
    created: float
    updated: float
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def describe(self) -> dict[str, Any]:
        alive = _alive(self.pid)
        status = ("running" if _ping(self.port) else "unhealthy") if alive else "stopped"
        return {**asdict(self), "url": self.url, "endpoint": f"{self.url}/invocations", "status": status}


# ---- the operations behind the client's methods -----------------------------------------------------
class Target:
    """The deployments of one state folder."""

    def __init__(self, target_uri: str) -> None:
        parsed = urlparse(target_uri)
        folder = parsed.path if parsed.scheme else ""
        self.dir = Path(folder or os.environ.get(STATE_ENV) or Path.home() / ".mlflowrest" / "deployments")
        self.uri = target_uri

    def create(self, name: str, model_uri: str, flavor: str | None, config: Mapping[str, Any] | None) -> dict[str, Any]:
        _check_name(name)
        _check_flavor(flavor)
        with self._locked():
            old = self._read(name)
            if old is not None and _alive(old.pid):
                raise _error(f"deployment {name!r} already exists at {self.uri} (model {old.model_uri}, {old.url});"
                             " use update_deployment or delete it first", "RESOURCE_ALREADY_EXISTS")  # fmt: skip
            pid, port = self._start(name, model_uri, config or {})
            now = time.time()
            dep = Deployment(name, model_uri, FLAVOR, port, pid, str(self._log(name)), now, now, _options(config))
            self._write(dep)
        return dep.describe()

    def update(
        self, name: str, model_uri: str | None, flavor: str | None, config: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Start the new server, and only when it answers, stop the old one (no gap in service).
        On a fixed port (config `port`, kept from create) the old one must stop first; if the new
        one then fails, the old model is started again and the error raised."""
        _check_flavor(flavor)
        with self._locked():
            old = self._existing(name)
            uri = model_uri or old.model_uri
            merged = {**old.config, **_options(config)}
            same_port = _int_option(merged, "port") == old.port
            if same_port:
                _stop(old.pid)
            try:
                pid, port = self._start(name, uri, merged)
            except Exception:
                if same_port:
                    with suppress(Exception):  # the error to report is the new model's
                        old.pid, old.port = self._start(name, old.model_uri, old.config)
                        self._write(old)
                raise
            if not same_port:
                _stop(old.pid)
            dep = Deployment(name, uri, FLAVOR, port, pid, old.log, old.created, time.time(), merged)
            self._write(dep)
        return dep.describe()

    def delete(self, name: str) -> None:
        """Stop the server and forget the deployment; deleting an unknown name is not an error
        (mlflow's contract: deletion is idempotent)."""
        _check_name(name)
        with self._locked():
            dep = self._read(name)
            if dep is None:
                return
            _stop(dep.pid)
            self._record(name).unlink(missing_ok=True)

    def list_all(self) -> list[dict[str, Any]]:
        if not self.dir.is_dir():
            return []
        found = (self._read(p.stem) for p in sorted(self.dir.glob("*.json")))
        return [dep.describe() for dep in found if dep is not None]

    def get(self, name: str) -> dict[str, Any]:
        return self._existing(name).describe()

    def predict(self, name: str, inputs: Any) -> dict[str, Any]:
        dep = self._existing(name)
        if not _alive(dep.pid):
            raise _error(f"deployment {name!r} is not running (process {dep.pid} has exited; log: {dep.log}); "
                         "update_deployment restarts it", "TEMPORARILY_UNAVAILABLE")  # fmt: skip
        request = urllib.request.Request(
            f"{dep.url}/invocations", data=json.dumps(_payload(inputs)).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=PREDICT_TIMEOUT) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as exc:
            raise _error(f"deployment {name!r} answered {exc.code}: {_server_message(exc)}",
                         "INVALID_PARAMETER_VALUE" if exc.code < 500 else "INTERNAL_ERROR") from None  # fmt: skip

    # ---- state ------------------------------------------------------------------------------------
    def _record(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    def _log(self, name: str) -> Path:
        return self.dir / f"{name}.log"

    def _read(self, name: str) -> Deployment | None:
        try:
            return Deployment(**json.loads(self._record(name).read_text()))
        except FileNotFoundError:
            return None

    def _existing(self, name: str) -> Deployment:
        _check_name(name)
        dep = self._read(name)
        if dep is None:
            known = ", ".join(p.stem for p in sorted(self.dir.glob("*.json"))) if self.dir.is_dir() else ""
            raise _error(f"no deployment named {name!r} at {self.uri} (deployments: {known or 'none'})",
                         "RESOURCE_DOES_NOT_EXIST")  # fmt: skip
        return dep

    def _write(self, dep: Deployment) -> None:
        tmp = self._record(dep.name).with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(dep), indent=2) + "\n")
        tmp.replace(self._record(dep.name))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One change at a time per folder, across processes (two CLIs creating the same name)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _start(self, name: str, model_uri: str, config: Mapping[str, Any]) -> tuple[int, int]:
        """Start a server and wait until it answers /ping; on failure, say why (from its log)."""
        port = _int_option(config, "port") or _free_port()
        timeout = float(_int_option(config, "startup_timeout") or DEFAULT_STARTUP_TIMEOUT)
        log_path = self._log(name)
        offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", SERVE_MODULE, "--model-uri", model_uri, "--port", str(port), "--name", name],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=_server_env(),
                cwd=self.dir, start_new_session=True,  # its own process group: stopped as a whole
            )  # fmt: skip
        _children[proc.pid] = proc
        deadline = time.monotonic() + timeout
        while not _ping(port):
            code = proc.poll()
            if code is not None:
                _children.pop(proc.pid, None)
                why = "failed to load" if code == LOAD_FAILED else f"exited with status {code}"
                raise _error(f"deployment {name!r}: model {model_uri} {why}: {_tail(log_path, offset)}",
                             "INVALID_PARAMETER_VALUE")  # fmt: skip
            if time.monotonic() > deadline:
                _stop(proc.pid)
                raise _error(f"deployment {name!r}: the server for {model_uri} did not answer in {timeout:.0f} s "
                             f"(-C startup_timeout=...): {_tail(log_path, offset)}", "DEADLINE_EXCEEDED")  # fmt: skip
            time.sleep(0.25)
        return proc.pid, port


# ---- the plugin interface mlflow looks up -------------------------------------------------------------
def target_help() -> str:
    return f"""Target {TARGET}: serves registered model versions (any pyfunc model) as local HTTP
prediction endpoints, one process on {HOST} per deployment, running with this Python.

Target URI: {TARGET} (records in ${STATE_ENV}, default ~/.mlflowrest/deployments)
            or {TARGET}:/path/to/folder
Config (-C key=value): port=<int> (default: a free port), startup_timeout=<seconds> (default 120)
Flavor: {FLAVOR} only.

  mlflow deployments create -t {TARGET} --name churn -m models:/churn@champion
  mlflow deployments predict -t {TARGET} --name churn --input-path rows.json
  mlflow deployments update -t {TARGET} --name churn -m models:/churn/3
  mlflow deployments list -t {TARGET}
  mlflow deployments delete -t {TARGET} --name churn
  mlflow deployments run-local -t {TARGET} --name churn -m models:/churn/3 -C port=5005
"""


def run_local(name: str, model_uri: str, flavor: str | None = None, config: Mapping[str, Any] | None = None) -> None:
    """Serve in the foreground until Ctrl-C (unmanaged: create/list/delete do not see it)."""
    from mlflowrest.plugins.serve import ModelLoadError, serve

    _check_flavor(flavor)
    port = _int_option(config or {}, "port") or _free_port()
    try:
        serve(model_uri, port, name)
    except ModelLoadError as exc:
        raise _error(f"deployment {name!r}: {exc}", "INVALID_PARAMETER_VALUE") from exc


def _client_class() -> type:
    from mlflow.deployments import BaseDeploymentClient, PredictionsResponse

    class LocalServeDeploymentClient(BaseDeploymentClient):
        """get_deploy_client("mlflowrest-local[:/folder]")"""

        def __init__(self, target_uri: str) -> None:
            super().__init__(target_uri)  # type: ignore[no-untyped-call]
            self.target = Target(target_uri)

        def create_deployment(
            self, name: str, model_uri: str, flavor: str | None = None, config: dict[str, Any] | None = None,
            endpoint: str | None = None,
        ) -> dict[str, Any]:  # fmt: skip
            _no_endpoint(endpoint)
            return self.target.create(name, model_uri, flavor, config)

        def update_deployment(
            self, name: str, model_uri: str | None = None, flavor: str | None = None,
            config: dict[str, Any] | None = None, endpoint: str | None = None,
        ) -> dict[str, Any]:  # fmt: skip
            _no_endpoint(endpoint)
            return self.target.update(name, model_uri, flavor, config)

        def delete_deployment(
            self, name: str, config: dict[str, Any] | None = None, endpoint: str | None = None
        ) -> None:
            _no_endpoint(endpoint)
            self.target.delete(name)

        def list_deployments(self, endpoint: str | None = None) -> list[dict[str, Any]]:
            _no_endpoint(endpoint)
            return self.target.list_all()

        def get_deployment(self, name: str, endpoint: str | None = None) -> dict[str, Any]:
            _no_endpoint(endpoint)
            return self.target.get(name)

        def predict(self, deployment_name: str | None = None, inputs: Any = None, endpoint: str | None = None) -> Any:
            _no_endpoint(endpoint)
            if not deployment_name:
                raise _error("predict needs a deployment name", "INVALID_PARAMETER_VALUE")
            return PredictionsResponse(self.target.predict(deployment_name, inputs))

    LocalServeDeploymentClient.__module__ = __name__
    return LocalServeDeploymentClient


def __getattr__(name: str) -> Any:
    if name == _CLIENT_CLASS:
        cls = _client_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), _CLIENT_CLASS})


# ---- helpers ------------------------------------------------------------------------------------------
def _error(message: str, code: str) -> Exception:
    from mlflow.exceptions import MlflowException
    from mlflow.protos import databricks_pb2

    return MlflowException(message, error_code=getattr(databricks_pb2, code))


def _no_endpoint(endpoint: str | None) -> None:
    if endpoint is not None:
        raise _error(f"{TARGET} has deployments, not endpoints (got endpoint={endpoint!r})", "INVALID_PARAMETER_VALUE")


def _check_name(name: str) -> None:
    if not _NAME.match(name or ""):
        raise _error(f"deployment name {name!r}: use letters, digits, '.', '_' and '-' (at most 100)",
                     "INVALID_PARAMETER_VALUE")  # fmt: skip


def _check_flavor(flavor: str | None) -> None:
    if flavor not in (None, FLAVOR):
        raise _error(f"{TARGET} serves the {FLAVOR} flavor only, not {flavor!r}", "INVALID_PARAMETER_VALUE")


def _options(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The config keys this target knows, as kept in the record."""
    return {key: (config or {})[key] for key in CONFIG_KEYS if (config or {}).get(key) not in (None, "")}


def _int_option(config: Mapping[str, Any], key: str) -> int | None:
    value = config.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _error(f"config {key}={value!r} is not an integer", "INVALID_PARAMETER_VALUE") from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _server_env() -> dict[str, str]:
    """The caller's environment, with the tracking and registry URIs it is using right now."""
    import mlflow

    return {**os.environ, "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
            "MLFLOW_REGISTRY_URI": mlflow.get_registry_uri()}  # fmt: skip


def _ping(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/ping", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Is this our model server, still running? (A pid alone may have been reused.)"""
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            return state not in ("Z", "X") and SERVE_MODULE.encode() in (proc / "cmdline").read_bytes()
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _stop(pid: int) -> None:
    """SIGTERM the server's process group, SIGKILL what is left after a grace period."""
    if not _alive(pid):
        _children.pop(pid, None)
        return
    for sig, grace in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _alive(pid):
            break
    child = _children.pop(pid, None)
    if child is not None:
        child.wait(timeout=5)


def _tail(path: Path, offset: int, lines: int = 6) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    kept = [line for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(kept) + f" (log: {path})" if kept else f"(empty log: {path})"


def _payload(inputs: Any) -> dict[str, Any]:
    """The scoring protocol's JSON for a DataFrame, a list of records, or a ready-made body."""
    if hasattr(inputs, "to_json") and hasattr(inputs, "columns"):  # a pandas DataFrame
        return {"dataframe_split": json.loads(inputs.to_json(orient="split", index=False))}
    if isinstance(inputs, dict) and inputs.keys() & {"dataframe_split", "dataframe_records", "instances", "inputs"}:
        return inputs
    if isinstance(inputs, list) and all(isinstance(row, dict) for row in inputs):
        return {"dataframe_records": inputs}
    raise _error("predict takes a pandas DataFrame, a list of records (dicts), or a scoring-protocol dict "
                 "(dataframe_split, dataframe_records, instances or inputs)", "INVALID_PARAMETER_VALUE")  # fmt: skip


def _server_message(exc: urllib.error.HTTPError) -> str:
    body = exc.read().decode(errors="replace")
    try:
        return str(json.loads(body).get("message", body))[:500]
    except (ValueError, AttributeError):
        return body[:500]
