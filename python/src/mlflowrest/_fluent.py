"""`with mlflowrest.start_run(...) as run:` for scripts and notebooks."""

from __future__ import annotations

import atexit
import getpass
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from mlflowrest._background import BackgroundLogger
from mlflowrest._client import MlflowClient
from mlflowrest._exceptions import MlflowError, RequestTimeoutError
from mlflowrest._generated import models
from mlflowrest._validation import INT64_MAX, INT64_MIN, check_int64, check_key, check_value

log = logging.getLogger("mlflowrest")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _plain(value: Any) -> bool:
    return type(value) is int and INT64_MIN <= value <= INT64_MAX


class ActiveRun:
    """A run started by start_run(). Ended by `with`, by end(), or at interpreter exit: FINISHED,
    or FAILED when an exception ended the program (see _at_exit)."""

    def __init__(
        self, client: MlflowClient, run: models.Run, background: bool, interval: float,
        resumed: bool = False, previous_status: str | None = None,
    ) -> None:  # fmt: skip
        self.client = client
        self.run = run
        #: An earlier start with the same idempotency key made this run (a retried task).
        self.resumed = resumed
        #: That earlier attempt finished it: the work is done and the run is left as it was.
        self.already_finished = previous_status == "FINISHED"
        assert run.info is not None and run.info.run_id and run.info.experiment_id
        self.run_id: str = run.info.run_id
        self.experiment_id: str = run.info.experiment_id
        self._logger = BackgroundLogger(client, self.run_id, interval) if background else None
        self._ended = False
        #: With a journal: calls end() left in it for `python -m mlflowrest sync` (docs/journal.md).
        self.left_for_sync = 0
        _watch(self)

    def __repr__(self) -> str:
        return f"ActiveRun(run_id={self.run_id!r}, experiment_id={self.experiment_id!r})"

    @property
    def url(self) -> str:
        return self.client.run_url(self.experiment_id, self.run_id)

    def log_param(self, key: str, value: Any) -> None:
        self.client.runs.log_param(run_id=self.run_id, key=check_key(key), value=str(value))

    def log_params(self, params: Mapping[str, Any]) -> None:
        self.client.runs.log_values(self.run_id, params=params)

    def log_metric(self, key: str, value: float, step: int | None = None, timestamp: int | None = None) -> None:
        number = check_value(value, key)
        check_key(key)
        # The common case (a plain int in range) inline: this runs once per point of a training loop.
        ts = _now_ms() if timestamp is None else timestamp if _plain(timestamp) else check_int64(timestamp, "timestamp")
        step = 0 if step is None else step if _plain(step) else check_int64(step, "step")
        if self._logger is not None:
            self._logger.log(key, number, ts, step)
        else:
            self.client.runs.log_metric(run_id=self.run_id, key=key, value=number, timestamp=ts, step=step)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step=step)

    def set_tag(self, key: str, value: Any) -> None:
        self.client.runs.set_tag(run_id=self.run_id, key=check_key(key), value=str(value))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.client.runs.log_values(self.run_id, tags={k: str(v) for k, v in tags.items()})

    def log_artifact(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> list[str]:
        return self.client.artifacts.upload(self.run_id, local_path, artifact_path)

    log_artifacts = log_artifact  # a folder uploads with its whole tree

    def download_artifacts(self, path: str, dst: str | os.PathLike[str]) -> Path:
        return self.client.artifacts.download(self.run_id, path, dst)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued metric point is stored, at most `timeout` seconds (default:
        the client's flush_timeout, MLFLOWREST_FLUSH_TIMEOUT=120). Raises RequestTimeoutError
        saying how many points are unsent, or the server's typed error naming refused points."""
        if self._logger is not None:
            self._logger.flush(timeout)

    def end(self, status: str = "FINISHED", timeout: float | None = None) -> None:
        """Flush (bounded by `timeout`, as flush()) and mark the run `status`. A flush error is
        raised after the run is marked."""
        if self._ended:
            return
        _UNENDED.pop(id(self), None)
        journal = self.client._transport.journal
        deadline = time.monotonic() + (self.client.config.flush_timeout if timeout is None else timeout)
        try:
            if self._logger is not None:
                try:
                    self._logger.close(timeout)
                except RequestTimeoutError:
                    if journal is None or not journal.keeps:
                        raise
                    self._logger.spill()  # nothing lost: recorded for sync
        finally:
            self._ended = True
            if not (self.already_finished and status == "FINISHED"):  # keep the first attempt's end time
                self.client.runs.update(run_id=self.run_id, status=status, end_time=_now_ms())  # type: ignore[arg-type]
            if journal is not None:
                self._left_for_sync(journal, deadline)

    def _left_for_sync(self, journal: Any, deadline: float) -> None:
        """Wait for the journal's queue until the flush deadline; say what is left for sync."""
        self.left_for_sync = journal.wait(max(0.0, deadline - time.monotonic()))
        if self.left_for_sync and not journal.offline:
            log.warning(
                "mlflowrest: run %s ended locally; %d calls are left in the journal %s: "
                "run `python -m mlflowrest sync %s` when the server is back",
                self.run_id, self.left_for_sync, journal.directory, journal.directory,
            )  # fmt: skip

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        status = "FINISHED" if et is None else "KILLED" if issubclass(et, KeyboardInterrupt) else "FAILED"
        try:
            self.end(status)
        except MlflowError:
            if et is None:
                raise
            log.exception("could not mark run %s %s", self.run_id, status)  # the block's error wins


# ---- runs nobody ended: finished at interpreter exit ----------------------------------------------
# Like MLflow's own fluent API: a script that never calls end() still stores what it queued.
# A normal exit ends such runs FINISHED, an uncaught exception FAILED (KILLED for Ctrl-C), each
# flush bounded by the client's flush_timeout. Killed with SIGKILL nothing runs: the points still
# queued (up to flush_interval seconds of logging, more while the server is slow) are lost and
# the run stays RUNNING.
_UNENDED: dict[int, ActiveRun] = {}
_HOOKS = threading.Lock()
_exit_status = "FINISHED"
_installed = False


def _watch(run: ActiveRun) -> None:
    global _installed
    _UNENDED[id(run)] = run
    with _HOOKS:
        if not _installed:
            _installed = True
            atexit.register(_at_exit)
            previous = sys.excepthook

            def excepthook(et: type[BaseException], e: BaseException, tb: TracebackType | None) -> None:
                global _exit_status
                _exit_status = "KILLED" if issubclass(et, KeyboardInterrupt) else "FAILED"
                previous(et, e, tb)

            sys.excepthook = excepthook


def _at_exit() -> None:
    status = _exit_status
    for run in list(_UNENDED.values()):
        if run._logger is not None:
            run._logger._serial = True  # thread pools refuse new work once the interpreter exits
        try:
            run.end(status)
        except MlflowError as exc:
            print(f"mlflowrest: run {run.run_id} at exit: {exc}", file=sys.stderr)


def _user() -> str | None:
    """Who runs this, as MLflow records it; containers often have no USER variable."""
    try:
        return getpass.getuser() or None
    except Exception:  # no variable and no passwd entry (a container's arbitrary uid)
        return os.environ.get("USER") or os.environ.get("USERNAME") or None


def start_run(
    *,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    client: MlflowClient | None = None,
    background: bool = False,
    flush_interval: float = 1.0,
    idempotency_key: str | None = None,
) -> ActiveRun:
    """Start a run (in `experiment_name`, created when missing) and return it as a context manager:
    it ends FINISHED, or FAILED when the block raises; the exception still propagates.
    background=True queues metrics and sends them in batches (flush() / end of block / exit).
    A run never ended is ended at interpreter exit: FINISHED, or FAILED after an uncaught error.
    idempotency_key: a start with a key an earlier start used in the experiment returns that run
    (resumed, or `already_finished`) instead of creating another: see runs.start_or_resume."""
    client = client or MlflowClient()
    if experiment_id is None:
        experiment_id = client.experiments.get_or_create(experiment_name) if experiment_name else "0"
    run_tags = [models.RunTag(key=check_key(k, "tags"), value=str(v)) for k, v in (tags or {}).items()]
    run_tags.append(models.RunTag(key="mlflow.source.type", value="LOCAL"))
    user = _user()
    if user:
        run_tags.append(models.RunTag(key="mlflow.user", value=user))
    if idempotency_key is not None:
        started = client.runs.start_or_resume(
            idempotency_key=idempotency_key, experiment_id=experiment_id, run_name=run_name, tags=run_tags
        )
        return ActiveRun(client, started.run, background, flush_interval, started.resumed, started.previous_status)
    created = client.runs.create(experiment_id=experiment_id, run_name=run_name, tags=run_tags)
    assert created.run is not None
    return ActiveRun(client, created.run, background, flush_interval)
