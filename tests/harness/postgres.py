"""A throw-away PostgreSQL server (Debian's `postgresql`) on 127.0.0.1, as a plain process.

Private data directory and port; trust authentication on loopback only; stopped (and its folder
removed) on exit. As root it runs as the `postgres` user, since PostgreSQL refuses root."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from tests.harness.server import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: install Debian's postgresql (make setup-postgres)")
    return found[-1]


class PostgresServer:
    def __init__(self, database: str = "mlflow", max_connections: int = 100) -> None:
        self.database = database
        self.max_connections = max_connections  # PostgreSQL's default; MLflow pools may need more
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mlflowrest-pg-"))
        self.data = self.dir / "data"
        self._user = "postgres" if os.geteuid() == 0 else None
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *cmd: str) -> None:
        full = ["runuser", "-u", self._user, "--", *cmd] if self._user else list(cmd)
        subprocess.run(full, check=True, capture_output=True, text=True, cwd=self.dir)

    def start(self) -> PostgresServer:
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c max_connections={self.max_connections}"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "pg.log"), "-w", "start")
        self._run(_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database)
        stop = [_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "tests.harness.watchdog", str(os.getpid()),
             *(["runuser", "-u", self._user, "--"] if self._user else []), *stop],
            cwd=Path(__file__).resolve().parents[2], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except Exception:
            self.stop()
            raise

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
