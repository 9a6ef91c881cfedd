"""A client's journal (docs/journal.md): journal mode and offline mode.

Journal mode: each write is recorded as a `call` before it is sent and settled (`done`,
`failed`, `bind`) after. When the server stays away beyond the retry budget (and
journal_on_unreachable=keep) the call stays recorded, the caller gets a stand-in answer (a local
id for a create), and every later write queues behind it, in order, so a later value never
overtakes an earlier one; a drainer thread sends the queue once the server answers again.
Offline mode: every write is recorded and answered by a stand-in; nothing is sent."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflowrest import __version__
from mlflowrest._exceptions import ApiError, JournalError, MlflowError
from mlflowrest._generated import rules
from mlflowrest._journal import _format as fmt
from mlflowrest._journal._replay import Outcome, final, replay
from mlflowrest._journal._writer import JournalWriter
from mlflowrest._operation import Operation

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

log = logging.getLogger("mlflowrest")
_PAUSE = 1.0  # seconds between drain rounds while the server is away (each round retries too)


def is_write(op: Operation) -> bool:
    return op.method != "GET" and not op.operation_id.startswith(fmt.READ_PREFIXES)


class Journal:
    def __init__(self, client: MlflowClient) -> None:
        cfg = client.config
        assert cfg.journal_dir is not None
        self._client = weakref.proxy(client)
        self.directory = cfg.journal_dir
        self.offline = cfg.offline
        self._keep = cfg.journal_on_unreachable == "keep"
        self._fsync, self._interval = cfg.journal_fsync, cfg.journal_fsync_interval
        self._writer: JournalWriter | None = None
        self._cond = threading.Condition(threading.RLock())
        self._pending: dict[int, dict[str, Any]] = {}  # recorded, not yet answered, in seq order
        self._binds: dict[str, str] = {}
        self._experiments: dict[str, str] = {}  # offline: experiment name -> its local id
        self._drainer: threading.Thread | None = None
        self._stop = threading.Event()
        self.left_for_sync = 0  # calls no drainer of this process will send (offline: all of them)
        self._pid = os.getpid()  # a forked child gets a journal of its own and leaves this one alone
        _OPEN.add(self)

    # ---- the file -----------------------------------------------------------------------------
    @property
    def path(self) -> str | None:
        return self._writer.path if self._writer else None

    def _append(self, record: dict[str, Any], numbered: bool = False) -> int:
        with self._cond:
            if self._writer is None:
                self._writer = self._open()
            return self._writer.append(record, numbered=numbered)

    def _open(self) -> JournalWriter:
        session = fmt.new_session()
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"cannot create journal directory {self.directory}: {exc.strerror}") from None
        writer = JournalWriter(os.path.join(self.directory, fmt.file_name(session)), fsync=self._fsync,
                               fsync_interval=self._interval)  # fmt: skip
        writer.append({
            "type": "open", "format": fmt.FORMAT, "version": fmt.VERSION, "session": session, "sdk": "python",
            "sdk_version": __version__, "pid": os.getpid(), "host": socket.gethostname(),
            "created_ms": fmt.now_ms(), "mode": "offline" if self.offline else "journal",
            "tracking_uri": None if self.offline else self._client.config.tracking_uri,
        })  # fmt: skip
        return writer

    def close(self) -> None:
        """Write the `close` record; what is still queued stays recorded for sync."""
        if os.getpid() != self._pid:
            return
        self._stop.set()
        with self._cond:
            writer, self._writer = self._writer, None
            self.left_for_sync += len(self._pending)
            self._pending.clear()
            self._cond.notify_all()
        if writer is not None:
            try:
                writer.append({"type": "close", "time_ms": fmt.now_ms()})
            finally:
                writer.close()

    # ---- writes ----------------------------------------------------------------------------------
    def call(self, op: Operation, path: str, body: dict[str, Any], send: Callable[[dict[str, Any]], Any] | None) -> Any:
        """Record the write, then send it (journal mode, nothing queued) or answer with a stand-in.
        send=None queues it behind the rest without trying (points a timed-out flush left)."""
        record: dict[str, Any] = {"type": "call", "request_id": _request_id(body), "operation": op.operation_id,
                                  "method": op.method, "path": path, "body": body, "time_ms": fmt.now_ms()}  # fmt: skip
        if op.operation_id in fmt.BINDS:
            local = fmt.new_local_id()
            record["binds"] = {"field": fmt.BINDS[op.operation_id], "local": local}
            if op.operation_id == "createRun" and not _tag(body, rules.IDEMPOTENCY_KEY_TAG):
                body["tags"] = [*(body.get("tags") or []), {"key": rules.IDEMPOTENCY_KEY_TAG, "value": local}]
        if self.offline and op.operation_id == "createExperiment" and body.get("name") in self._experiments:
            return op.response_model.model_validate({"experiment_id": self._experiments[body["name"]]})  # type: ignore[union-attr]
        with self._cond:
            record["seq"] = self._append(record, numbered=True)
            if send is None or self.offline or self._pending or fmt.local_ids(body) - set(self._binds):
                return self._queue(op, record)
            binds = dict(self._binds)
        try:
            answer = send(fmt.substitute(body, binds))
        except MlflowError as exc:
            if final(exc):
                self._settle(record["seq"], Outcome("failed", status=_status(exc), error=exc))
                raise
            if not self._keep:
                self.left_for_sync += 1
                raise
            log.warning("mlflowrest: the server is unreachable (%s); writes go on into the journal %s", exc, self.path)
            with self._cond:
                return self._queue(op, record)
        remote = fmt.field_value(answer, record["binds"]["field"]) if "binds" in record else None
        self._settle(record["seq"], Outcome("sent", remote=str(remote) if remote is not None else None),
                     record.get("binds"))  # fmt: skip
        return answer

    def _queue(self, op: Operation, record: dict[str, Any]) -> Any:
        self._hold(record)
        return _stand_in(op, record, self._experiments)

    def _hold(self, record: dict[str, Any]) -> None:
        """Queued for the drainer; offline, only counted (a long offline run must not fill memory)."""
        if self.offline:
            self.left_for_sync += 1
            return
        self._pending[record["seq"]] = record
        self._start_drainer()

    def _settle(self, seq: int, outcome: Outcome, binds: dict[str, Any] | None = None) -> None:
        now = fmt.now_ms()
        if outcome.remote is not None and binds:
            self._binds[binds["local"]] = outcome.remote
            self._append({"type": "bind", "seq": seq, "local": binds["local"], "remote": outcome.remote})
        if outcome.kind == "failed":
            exc = outcome.error
            self._append({"type": "failed", "seq": seq, "status": outcome.status,
                          "error_code": getattr(exc, "error_code", None) or "ERROR",
                          "message": getattr(exc, "message", None) or str(exc)})  # fmt: skip
        else:
            done = {"type": "done", "seq": seq, "status": outcome.status, "time_ms": now}
            self._append({**done, "outcome": outcome.kind} if outcome.kind != "sent" else done)

    def artifact(self, run_id: str, local: Path, artifact_path: str | None) -> list[str]:
        """Copy a file or folder into the journal's artifacts/ and record it (offline, or a run
        that only has a local id yet)."""
        with self._cond:
            if self._writer is None:
                self._writer = self._open()
            seq = self._writer.seq + 1
            session = fmt.FILE_NAME.match(os.path.basename(self._writer.path))[1]  # type: ignore[index]
            rel = os.path.join(fmt.ARTIFACTS, session, str(seq))
            target = os.path.join(self.directory, rel)
            try:
                if local.is_dir():
                    shutil.copytree(local, target)
                    files = [str(p.relative_to(local)) for p in sorted(local.rglob("*")) if p.is_file()]
                else:
                    os.makedirs(target, exist_ok=True)
                    shutil.copy2(local, os.path.join(target, local.name))
                    rel, files = os.path.join(rel, local.name), [local.name]
            except OSError as exc:
                raise JournalError(f"cannot copy {local} into the journal {self.directory}: {exc.strerror}") from None
            record: dict[str, Any] = {"type": "artifact", "request_id": uuid.uuid4().hex, "run_id": run_id,
                      "artifact_path": artifact_path or "", "file": rel.replace(os.sep, "/"),
                      "kind": "dir" if local.is_dir() else "file", "time_ms": fmt.now_ms()}  # fmt: skip
            record["seq"] = self._append(record, numbered=True)
            self._hold(record)
        prefix = f"{artifact_path.strip('/')}/" if artifact_path else ""
        return [prefix + f.replace(os.sep, "/") for f in files]

    def records_artifacts(self, run_id: str) -> bool:
        """Whether an upload for this run goes into the journal rather than to the server."""
        return self.offline or (fmt.is_local(run_id) and run_id not in self._binds)

    def bound(self, value: str) -> str:
        return self._binds.get(value, value)

    def experiment_for(self, name: str) -> str:
        """Offline: an experiment by name is created once per journal, with a local id."""
        if name not in self._experiments:
            made = self._client.experiments.create(name=name)
            self._experiments[name] = str(made.experiment_id)
        return self._experiments[name]

    # ---- draining ----------------------------------------------------------------------------------
    def _start_drainer(self) -> None:
        self._cond.notify_all()
        if self._drainer is None or not self._drainer.is_alive():
            self._drainer = threading.Thread(target=self._drain, name="mlflowrest-journal", daemon=True)
            self._drainer.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                if not self._pending:
                    return
                seq = min(self._pending)  # a live send that failed joins the queue late
                record = self._pending[seq]
                binds = dict(self._binds)
            try:
                outcome = replay(self._client, self.directory, record, binds)
            except ReferenceError:
                return  # the client is gone; what is queued stays recorded for sync
            if outcome.kind == "unsent":
                self._stop.wait(_PAUSE)
                continue
            with self._cond:
                if self._pending.pop(seq, None) is None:
                    return  # closed meanwhile
                if outcome.kind == "waiting":
                    self.left_for_sync += 1  # its create is in another file: sync binds it
                else:
                    if outcome.kind == "failed":
                        log.warning("mlflowrest: the server refused journaled call %d: %s", seq, outcome.error)
                    try:
                        self._settle(seq, outcome, record.get("binds"))
                    except JournalError as exc:
                        log.warning("mlflowrest: %s", exc)
                self._cond.notify_all()

    @property
    def keeps(self) -> bool:
        """Writes the server cannot take now stay in the journal instead of raising."""
        return self._keep or self.offline

    def wait(self, timeout: float) -> int:
        """Wait at most `timeout` seconds for the queue to be sent; returns what is left for sync."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending and not self.offline and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(min(left, 0.1))
            return len(self._pending) + self.left_for_sync


def _request_id(body: dict[str, Any]) -> str:
    """The create's request id (the tag a retry looks up), else a fresh one."""
    return _tag(body, rules.REQUEST_ID_TAG) or uuid.uuid4().hex


def _tag(body: dict[str, Any], key: str) -> str | None:
    tags = body.get("tags")
    if isinstance(tags, list):
        return next((t.get("value") for t in tags if isinstance(t, dict) and t.get("key") == key), None)
    return None


def _status(exc: MlflowError) -> int:
    return (exc.http_status if isinstance(exc, ApiError) else None) or 400


def _stand_in(op: Operation, record: dict[str, Any], experiments: dict[str, str]) -> Any:
    """What the server would have answered, with the local id for a create."""
    body, model = record["body"], op.response_model
    if model is None:
        return None
    local = record.get("binds", {}).get("local")
    if op.operation_id == "createRun":
        info = {"run_id": local, "run_uuid": local, "experiment_id": body.get("experiment_id") or "0",
                "run_name": body.get("run_name"), "user_id": body.get("user_id"), "status": "RUNNING",
                "start_time": body.get("start_time"), "lifecycle_stage": "active", "artifact_uri": ""}  # fmt: skip
        return model.model_validate({"run": {"info": info, "data": {"tags": body.get("tags") or []}}})
    if op.operation_id == "createExperiment":
        experiments[body["name"]] = local
        return model.model_validate({"experiment_id": local})
    return model.model_construct()


_OPEN: weakref.WeakSet[Journal] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for journal in list(_OPEN):
        journal.close()
