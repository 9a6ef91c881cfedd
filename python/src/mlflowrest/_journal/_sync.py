"""`sync`: replay every journal file of a directory into a server (docs/journal.md).

Each file's calls go in seq order, those with a `done` or `failed` record skipped; answers are
appended to the file as they come, so a sync killed half-way or run twice resends at most the
one call whose answer was not recorded (made idempotent by _replay). One sync per directory at a
time (sync.lock/); files still being written by a live process are skipped unless asked."""

from __future__ import annotations

import json
import os
import shutil
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlflowrest._exceptions import JournalError
from mlflowrest._journal import _format as fmt
from mlflowrest._journal import _reader
from mlflowrest._journal._replay import replay
from mlflowrest._journal._writer import JournalWriter

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient


@dataclass
class FileReport:
    name: str
    sent: int = 0
    already_present: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # error code -> count
    waiting: int = 0  # calls not sent: a local id with no bind yet, or no answer from the server
    torn: int = 0
    skipped: str | None = None  # why the whole file was left alone
    error: str | None = None
    runs: dict[str, str] = field(default_factory=dict)  # local run id -> server run id

    def line(self) -> str:
        if self.skipped:
            return f"{self.name}: skipped ({self.skipped})"
        failed = sum(self.failed.values())
        codes = f" ({', '.join(f'{c} x{n}' for c, n in sorted(self.failed.items()))})" if failed else ""
        text = (f"{self.name}: sent {self.sent}, already present {self.already_present}, failed {failed}{codes}, "
                f"waiting {self.waiting}, torn lines ignored {self.torn}")  # fmt: skip
        return text + (f"; stopped: {self.error}" if self.error else "")


@dataclass
class SyncReport:
    directory: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing waits: the exit status is 0."""
        return all(not f.failed and not f.waiting and not f.error for f in self.files)

    @property
    def runs(self) -> dict[str, str]:
        return {k: v for f in self.files for k, v in f.runs.items()}

    def total(self, name: str) -> int:
        return sum(sum(v.values()) if isinstance(v := getattr(f, name), dict) else v for f in self.files)

    def text(self) -> str:
        lines = [f.line() for f in self.files]
        lines += [f"runs created: {local} -> {remote}" for local, remote in self.runs.items()]
        lines.append(
            f"total: {len(self.files)} files, sent {self.total('sent')}, already present "
            f"{self.total('already_present')}, failed {self.total('failed')}, waiting {self.total('waiting')}, "
            f"torn lines ignored {self.total('torn')}"
        )
        return "\n".join(lines)


def sync(directory: str, client: MlflowClient | None = None, *, tracking_uri: str | None = None,
         include_live: bool = False) -> SyncReport:  # fmt: skip
    """Replay every journal file of `directory` into the server of `client` (default: a client
    from `tracking_uri` / MLFLOW_TRACKING_URI, its own writes never journaled)."""
    from mlflowrest._client import MlflowClient
    from mlflowrest._config import Config

    if client is None:
        config = Config.from_env(tracking_uri)
        if config.offline:
            raise JournalError(
                f"sync needs a server, not {config.tracking_uri}: set MLFLOW_TRACKING_URI or pass --tracking-uri"
            )
        client = MlflowClient(config=_without_journal(config))
    if not os.path.isdir(directory):
        raise JournalError(f"no journal directory {directory}")
    report = SyncReport(directory)
    with _Lock(directory):
        names = sorted(n for n in os.listdir(directory) if fmt.FILE_NAME.match(n))
        for name in names:
            report.files.append(_sync_file(client, directory, name, include_live))
    return report


def _without_journal(config: Any) -> Any:
    from dataclasses import replace

    return replace(config, journal_dir=None)  # sync's own writes are the journal's answers


def _sync_file(client: MlflowClient, directory: str, name: str, include_live: bool) -> FileReport:
    path = os.path.join(directory, name)
    out = FileReport(name)
    journal = _reader.read(path)
    out.torn = journal.torn
    if not include_live and not journal.closed and _alive(journal.header):
        out.skipped = f"being written by live process {journal.header.get('pid')}; --include-live to sync it"
        return out
    pending = journal.pending
    if not pending and not journal.torn:
        return out
    writer = JournalWriter.reopen(path, journal.valid_size, seq=journal.last_seq)
    binds = journal.binds
    try:
        for i, record in enumerate(pending):
            outcome = replay(client, directory, record, binds)
            seq = record["seq"]
            if outcome.kind == "waiting":
                out.waiting = len(pending) - i
                out.error = f"seq {seq} waits for {outcome.waiting_for}, whose create is not synced"
                break
            if outcome.kind == "unsent":
                out.waiting = len(pending) - i
                out.error = f"seq {seq}: {outcome.error}"
                break
            local = (record.get("binds") or {}).get("local")
            if outcome.remote is not None and local:
                binds[local] = outcome.remote
                writer.append({"type": "bind", "seq": seq, "local": local, "remote": outcome.remote})
                if record.get("operation") == "createRun":
                    out.runs[local] = outcome.remote
            if outcome.kind == "failed":
                exc = outcome.error
                code = getattr(exc, "error_code", None) or "ERROR"
                out.failed[code] = out.failed.get(code, 0) + 1
                writer.append({"type": "failed", "seq": seq, "status": outcome.status, "error_code": code,
                               "message": getattr(exc, "message", None) or str(exc)})  # fmt: skip
                continue
            done: dict[str, Any] = {"type": "done", "seq": seq, "status": outcome.status, "time_ms": fmt.now_ms()}
            if outcome.kind == "already_present":
                done["outcome"] = "already_present"
                out.already_present += 1
            else:
                out.sent += 1
            writer.append(done)
    finally:
        writer.close()
    return out


def _alive(header: dict[str, Any]) -> bool:
    """The writer is a live process on this host (a zombie has exited: it writes nothing more)."""
    if header.get("host") != socket.gethostname():
        return False
    pid = int(header.get("pid") or 0)
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class _Lock:
    """sync.lock/ exists while a sync runs (mkdir is atomic); one left by a dead process is taken over."""

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, fmt.LOCK)

    def __enter__(self) -> _Lock:
        for _ in range(2):
            try:
                os.mkdir(self.path)
            except FileExistsError:
                owner = self._owner()
                if _alive(owner) or (owner.get("pid") == os.getpid() and owner.get("host") == socket.gethostname()):
                    raise JournalError(
                        f"another sync (pid {owner.get('pid')}) is running on {os.path.dirname(self.path)} "
                        f"({self.path} exists)"
                    ) from None
                shutil.rmtree(self.path, ignore_errors=True)  # its owner is dead
                continue
            with open(os.path.join(self.path, "owner.json"), "w") as f:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started_ms": fmt.now_ms()}, f)
            return self
        raise JournalError(f"cannot take the sync lock {self.path}")

    def _owner(self) -> dict[str, Any]:
        try:
            with open(os.path.join(self.path, "owner.json")) as f:
                owner = json.load(f)
            return owner if isinstance(owner, dict) else {}
        except (OSError, ValueError):
            return {}  # being created right now, or left half-made: treated as dead

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
