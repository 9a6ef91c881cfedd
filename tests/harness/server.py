"""A real `mlflow server` on 127.0.0.1 for tests, benchmarks and the demo.

Each server gets a free port, a fresh SQLite store (or the backend URI given), proxied
artifacts in its own temp folder (or, with `artifact_root`, a root clients write to directly:
tests/harness/backends.py starts the store behind it), and its own process group, so stopping it kills every
worker it forked even when the tests around it fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
PINNED = (ROOT / "MLFLOW_VERSION").read_text().strip()
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class MlflowServer:
    """Start with `with MlflowServer() as server: server.url`."""

    def __init__(
        self,
        workers: int | None = 1,
        backend_store_uri: str | None = None,
        app_name: str | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        workdir: str | None = None,
        port: int | None = None,
        startup_timeout: float = 120.0,
        quiet: bool = True,
        artifact_root: str | None = None,
        jobs: bool = False,
    ) -> None:
        self.workers = workers
        # MLflow's job runner and its 7 huey consumers: 28 s of CPU and 1.9 GB to start, then idle
        # (measured with --workers 1; 6.6 s and 0.5 GB without). No tracking, registry or artifact
        # route uses them, so test servers leave them out; benchmarks keep them, to measure the
        # server users run.
        self.jobs = jobs
        self.backend_store_uri = backend_store_uri
        self.app_name = app_name
        self.extra_args = extra_args or []
        self.env = env or {}
        # None: proxied artifacts in the workdir; else the server only hands out this root
        # (s3://, wasbs://, a path, dbfs:/) and clients write there themselves.
        self.artifact_root = artifact_root
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.quiet = quiet
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="mlflowrest-server-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def command(self) -> list[str]:
        store = self.backend_store_uri or f"sqlite:///{self.workdir / 'mlflow.db'}"
        cmd = [
            sys.executable, "-m", "mlflow", "server",
            "--host", HOST, "--port", str(self.port),
            "--backend-store-uri", store,
        ]  # fmt: skip
        if self.artifact_root is None:
            cmd += ["--serve-artifacts", "--artifacts-destination", str(self.workdir / "artifacts")]
        else:
            cmd += ["--no-serve-artifacts", "--default-artifact-root", self.artifact_root]
        if self.workers is not None:
            cmd += ["--workers", str(self.workers)]
        if self.app_name:
            cmd += ["--app-name", self.app_name]
        return cmd + self.extra_args

    def start(self) -> MlflowServer:
        import mlflow

        if mlflow.__version__ != PINNED:
            raise RuntimeError(f"mlflow {mlflow.__version__} installed, {PINNED} pinned: run `make setup`")
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 (the server's stdout for its whole life)
        env = {**os.environ, **({} if self.jobs else {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}), **self.env}
        env.pop("MLFLOW_TRACKING_URI", None)
        began = time.monotonic()
        # start_new_session: the server and every worker it forks share one process group.
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=env, start_new_session=True
        )
        # Should this process die without stopping the server, the watchdog kills its group.
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "tests.harness.watchdog", str(os.getpid()), "killpg", str(self.proc.pid)],
            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = began + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited with {self.proc.returncode}; see {self.log_path}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        self.start_seconds = time.monotonic() - began
                        if not self.quiet:
                            print(f"mlflow {PINNED} server at {self.url} ready in {self.start_seconds:.1f} s",
                                  flush=True)
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"mlflow server not healthy after {self.startup_timeout} s:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by every live process of the server's group (Linux /proc)."""
        if self.proc is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # field 5, the process group
                total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        return total

    def wait_quiet(self, busy_below: float = 0.05, window: float = 1.0, timeout: float = 90.0) -> float:
        """Wait until the server's processes use under `busy_below` of a core over `window` s.

        A healthy server keeps working after /health answers: the default configuration spawns
        job-runner processes that import MLflow for several CPU-seconds. Benchmarks wait that out
        so the first client measured does not pay for it. Returns the seconds waited."""
        began = time.monotonic()
        before = self.cpu_seconds()
        while time.monotonic() - began < timeout:
            time.sleep(window)
            now = self.cpu_seconds()
            if now - before < busy_below * window:
                break
            before = now
        return time.monotonic() - began

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, keep_store: bool = False) -> None:
        """Kill the server's whole process group; remove its folder unless asked to keep it."""
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        if self.proc is not None and self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.proc is not None:
            # Workers may outlive the parent for a moment; the group id is the parent's pid.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None
        if self._own_workdir and not keep_store:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start again on the same store, port and artifact folder."""
        self.stop(keep_store=True)
        self.start()

    def __enter__(self) -> MlflowServer:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
