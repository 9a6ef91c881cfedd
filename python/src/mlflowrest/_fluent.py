"""`with mlflowrest.start_run(...) as run:` for scripts and notebooks."""

from __future__ import annotations

import logging
import os
import posixpath
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from mlflowrest._client import MlflowClient
from mlflowrest._exceptions import InvalidParameterValueError, MlflowError
from mlflowrest._generated import models
from mlflowrest._generated.limits import LIMITS

log = logging.getLogger("mlflowrest")
_KEY = re.compile(str(LIMITS["key_pattern"]))
_MAX_KEY = int(LIMITS["max_entity_key_length"])
_BATCH = int(LIMITS["max_metrics_per_batch"])


def _now_ms() -> int:
    return int(time.time() * 1000)


def check_key(key: str, field: str = "key") -> str:
    """The server's key rule, applied before anything is queued or sent."""
    if not isinstance(key, str) or not key:
        raise InvalidParameterValueError(f"{field} must be a non-empty string, got {key!r}", field=field)
    if len(key) > _MAX_KEY:
        raise InvalidParameterValueError(
            f"{field} is {len(key)} characters; the limit is {_MAX_KEY}", field=field, limit=f"max_length={_MAX_KEY}"
        )
    # The server's rule (mlflow.utils.validation.path_not_unique), POSIX on every OS.
    if not _KEY.match(key) or posixpath.normpath(key) != key or key == "." or key.startswith(("/", "..")):
        raise InvalidParameterValueError(
            f"{field} {key!r} may only hold letters, digits, _ - . space : / and must be a normalized relative path",
            field=field, limit=f"pattern={_KEY.pattern}",
        )  # fmt: skip
    return key


def _check_value(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameterValueError(
            f"metric {key!r}: value must be a number, got {type(value).__name__}", field="value"
        )
    try:
        return float(value)  # NaN and infinities are valid metric values
    except OverflowError:
        raise InvalidParameterValueError(f"metric {key!r}: {value!r} does not fit a double", field="value") from None


class BackgroundLogger:
    """Queues metric points and sends them in batches from one thread.

    log() costs a deque append; points go out every `interval` seconds or every 1000 points,
    several batches at once through log_batch's concurrent sending when the queue is long.
    A failed send keeps its points and tries again (the transport already retried with
    backoff); flush() waits until everything queued is on the server, raising the last error
    if it cannot get there."""

    def __init__(self, client: MlflowClient, run_id: str, interval: float = 1.0) -> None:
        self._client = client
        self._run_id = run_id
        self._interval = interval
        self._queue: deque[tuple[str, float, int, int]] = deque()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._sending = False
        self._closed = False
        self._error: MlflowError | None = None
        self._thread = threading.Thread(target=self._run, name="mlflowrest-logger", daemon=True)
        self._thread.start()

    def log(self, key: str, value: float, timestamp: int, step: int) -> None:
        self._queue.append((key, value, timestamp, step))
        if len(self._queue) >= _BATCH:
            self._wake.set()

    def _take(self) -> list[models.Metric]:
        """Up to one full batch per request log_batch may have in flight (it checks each point
        again, so building them unchecked here saves the loop's thread a second check)."""
        points: list[models.Metric] = []
        limit = _BATCH * max(1, self._client.config.batch_concurrency)
        while self._queue and len(points) < limit:
            key, value, ts, step = self._queue.popleft()
            points.append(models.Metric.model_construct(key=key, value=value, timestamp=ts, step=step))
        return points

    def _run(self) -> None:
        pending: list[models.Metric] = []
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            with self._idle:
                self._sending = True
            try:
                while pending or self._queue:
                    pending = pending or self._take()
                    self._client.runs.log_batch(run_id=self._run_id, metrics=pending)
                    pending = []
                    self._error = None
            except MlflowError as exc:
                # Keep the points; identical points are stored once, so resending is safe.
                self._error = exc
                log.warning("background logger: %d points not sent yet: %s", len(pending), exc)
            finally:
                with self._idle:
                    self._sending = False
                    self._idle.notify_all()
            if self._closed and not self._queue and not pending:
                return
            if self._closed and self._error is not None:
                return

    def flush(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._wake.set()
            with self._idle:
                self._idle.wait(0.05)
                done = not self._queue and not self._sending
            if done and self._error is None:
                return
            if self._error is not None and not self._thread.is_alive():
                raise self._error
            if deadline is not None and time.monotonic() > deadline:
                raise self._error or MlflowError(f"flush timed out with {len(self._queue)} points queued")
            if self._error is not None and done:
                self._wake.set()
                time.sleep(min(1.0, self._client.config.backoff_factor or 0.05))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join(timeout=5)


class ActiveRun:
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

    def __repr__(self) -> str:
        return f"ActiveRun(run_id={self.run_id!r}, experiment_id={self.experiment_id!r})"

    @property
    def url(self) -> str:
        return self.client.run_url(self.experiment_id, self.run_id)

    def log_param(self, key: str, value: Any) -> None:
        self.client.runs.log_param(run_id=self.run_id, key=check_key(key), value=str(value))

    def log_params(self, params: Mapping[str, Any]) -> None:
        for key in params:
            check_key(key)
        self.client.runs.log_values(self.run_id, params=params)

    def log_metric(self, key: str, value: float, step: int | None = None, timestamp: int | None = None) -> None:
        number = _check_value(value, key)
        check_key(key)
        ts = timestamp if timestamp is not None else _now_ms()
        if self._logger is not None:
            self._logger.log(key, number, ts, step or 0)
        else:
            self.client.runs.log_metric(run_id=self.run_id, key=key, value=number, timestamp=ts, step=step or 0)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step=step)

    def set_tag(self, key: str, value: Any) -> None:
        self.client.runs.set_tag(run_id=self.run_id, key=check_key(key), value=str(value))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.client.runs.log_values(self.run_id, tags={check_key(k): str(v) for k, v in tags.items()})

    def log_artifact(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> list[str]:
        return self.client.artifacts.upload(self.run_id, local_path, artifact_path)

    log_artifacts = log_artifact  # a folder uploads with its whole tree

    def download_artifacts(self, path: str, dst: str | os.PathLike[str]) -> Path:
        return self.client.artifacts.download(self.run_id, path, dst)

    def flush(self) -> None:
        if self._logger is not None:
            self._logger.flush()

    def end(self, status: str = "FINISHED") -> None:
        if self._ended:
            return
        try:
            if self._logger is not None:
                self._logger.close()
        finally:
            self._ended = True
            if not (self.already_finished and status == "FINISHED"):  # keep the first attempt's end time
                self.client.runs.update(run_id=self.run_id, status=status, end_time=_now_ms())  # type: ignore[arg-type]

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
    background=True queues metrics and sends them in batches (flush() / end of block).
    idempotency_key: a start with a key an earlier start used in the experiment returns that run
    (resumed, or `already_finished`) instead of creating another: see runs.start_or_resume."""
    client = client or MlflowClient()
    if experiment_id is None:
        experiment_id = client.experiments.get_or_create(experiment_name) if experiment_name else "0"
    run_tags = [models.RunTag(key=check_key(k, "tags"), value=str(v)) for k, v in (tags or {}).items()]
    run_tags.append(models.RunTag(key="mlflow.source.type", value="LOCAL"))
    user = os.environ.get("USER") or os.environ.get("USERNAME")
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
