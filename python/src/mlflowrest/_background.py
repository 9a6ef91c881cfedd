"""The background logger: a training loop queues metric points; one thread sends them in batches.

Three kinds of failure, three outcomes (docs/design.md, "Background logging"):
- transient (no answer, 408/429/5xx or an overload answer, after the transport's retries): the
  points stay queued and go again later; identical points are stored once, so resending is safe;
- a final 4xx about some points (400 INVALID_PARAMETER_VALUE): the batch is split in halves and
  resent until the refused points are alone; they are dropped and reported, the rest is stored;
- a final answer about the run itself (deleted, missing, no permission): nothing more can be
  stored; the logger stops and every later call raises that error.
flush() waits, bounded by a timeout, and raises the typed error saying what was stored, refused
or still unsent. Nothing is resent on a timer after a final answer, so nothing loops."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from mlflowrest._exceptions import (
    ApiError,
    InvalidParameterValueError,
    MlflowError,
    RequestTimeoutError,
    ResourceDoesNotExistError,
)
from mlflowrest._generated import models
from mlflowrest._generated.limits import LIMITS
from mlflowrest._transport import retryable

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

log = logging.getLogger("mlflowrest")
_BATCH = int(LIMITS["max_metrics_per_batch"])
_SHOWN = 5  # refused points named in an error message
_RETRY_PAUSE = 1.0  # seconds between rounds after the transport's own retries ran out


def _final(exc: MlflowError) -> bool:
    """An answer that sending the same points again cannot change."""
    if not isinstance(exc, ApiError):
        return False
    return exc.http_status is None or (400 <= exc.http_status < 500 and not retryable(exc))


def _point(m: models.Metric) -> str:
    return f"{m.key}={m.value} (step={m.step}, timestamp={m.timestamp})"


class BackgroundLogger:
    """Queues metric points and sends them in batches from one thread.

    log() costs a deque append; points go out every `interval` seconds or every 1000 points,
    several batches at once through log_batch's concurrent sending when the queue is long.
    flush(timeout) waits until everything queued is stored (or refused) and raises the typed
    error when it is not; close() flushes and stops the thread."""

    def __init__(self, client: MlflowClient, run_id: str, interval: float = 1.0) -> None:
        self._client = client
        self._run_id = run_id
        self._interval = interval
        self._queue: deque[tuple[str, float, int, int]] = deque()
        self._parts: list[list[models.Metric]] = []  # taken from the queue, not yet stored
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._sending = False
        self._closed = False
        self._stopped = False  # close() gave up waiting: the thread ends after its current request
        self._retry_at = 0.0
        self._serial = False  # at interpreter exit no new thread pool may start
        self.stored = 0
        self.refused: list[tuple[models.Metric, ApiError]] = []
        self._reported = 0  # refused points already raised by a flush
        self._fatal: MlflowError | None = None
        self._retrying: MlflowError | None = None
        self._thread = threading.Thread(target=self._run, name="mlflowrest-logger", daemon=True)
        self._thread.start()

    @property
    def unsent(self) -> int:
        return len(self._queue) + sum(len(p) for p in self._parts)

    def log(self, key: str, value: float, timestamp: int, step: int) -> None:
        if self._fatal is not None:
            raise self._fatal
        self._queue.append((key, value, timestamp, step))
        if len(self._queue) >= _BATCH:
            self._wake.set()

    # ---- the sending thread -----------------------------------------------------------------
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
        while not self._stopped:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._retrying is not None and time.monotonic() < self._retry_at and not self._stopped:
                continue  # the transport has retried already; wait before the next round
            with self._idle:
                self._sending = True
            try:
                self._send_all()
                self._retrying = None
            except MlflowError as exc:  # transient: the points stay in _parts and go again
                self._retrying = exc
                self._retry_at = time.monotonic() + max(self._interval, _RETRY_PAUSE)
                log.warning("background logger: %d points not sent yet: %s", self.unsent, exc)
            except RuntimeError as exc:  # the interpreter is exiting: send one request at a time
                self._serial = True
                self._retrying = MlflowError(str(exc))
            finally:
                with self._idle:
                    self._sending = False
                    self._idle.notify_all()
            if self._closed and (self._fatal is not None or not self.unsent):
                return

    def _send_all(self) -> None:
        checked_run = False
        while (self._parts or self._queue) and self._fatal is None:
            if not self._parts:
                self._parts.append(self._take())
                checked_run = False
            part = self._parts[-1]
            try:
                self._client.runs.log_batch(run_id=self._run_id, metrics=part, concurrency=1 if self._serial else None)
            except MlflowError as exc:
                if not _final(exc):
                    raise
                assert isinstance(exc, ApiError)
                self._parts.pop()
                if not checked_run:
                    checked_run = True
                    if self._run_refuses_everything(exc):
                        self._parts.append(part)
                        return
                self._isolate(part, exc)
            else:
                self._parts.pop()
                self.stored += len(part)
            with self._idle:
                self._idle.notify_all()

    def _isolate(self, part: list[models.Metric], exc: ApiError) -> None:
        """Halves go back to be sent (and split) again until a refused point is alone."""
        if not isinstance(exc, InvalidParameterValueError):
            self._fatal = exc  # 401, 403, 404, 409...: about the run or the caller, not the points
            self._parts.append(part)
        elif len(part) == 1:
            self.refused.append((part[0], exc))
            log.warning("background logger: the server refused %s: %s", _point(part[0]), exc.message)
        else:
            middle = len(part) // 2
            self._parts += [part[middle:], part[:middle]]

    def _run_refuses_everything(self, exc: ApiError) -> bool:
        """A deleted or missing run refuses every point: stop rather than split 1000 ways."""
        try:
            info = self._client.runs.get(run_id=self._run_id).run
            stage = info.info.lifecycle_stage if info and info.info else None
        except ResourceDoesNotExistError as missing:
            self._fatal = missing
            return True
        except MlflowError:
            return False  # cannot tell: splitting still ends, one point at a time
        if stage is not None and stage != "active":
            self._fatal = exc
            return True
        return False

    # ---- waiting ------------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued point is stored or refused, at most `timeout` seconds (default:
        the client's flush_timeout, MLFLOWREST_FLUSH_TIMEOUT). Raises RequestTimeoutError saying
        how many points are still unsent, the server's error when it refused points (saying which
        and how many were stored), or the error that stopped the logger."""
        limit = self._client.config.flush_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        self._wake.set()
        with self._idle:
            while (self.unsent or self._sending) and self._fatal is None and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    last = f"; last error: {self._retrying}" if self._retrying else ""
                    error = RequestTimeoutError(
                        f"background logger: {self.unsent} metric points of run {self._run_id} still unsent after "
                        f"{limit:g} s ({self.stored} stored){last}"
                    )
                    error.unsent = self.unsent  # type: ignore[attr-defined]
                    raise error
                self._idle.wait(min(left, 0.05))
                if not self._sending:
                    self._wake.set()
        if self._fatal is not None:
            raise self._summary(self._fatal, f"stopped: {self.unsent} points not stored")
        if len(self.refused) > self._reported:
            first = self.refused[self._reported][1]
            self._reported = len(self.refused)
            raise self._summary(first, f"{len(self.refused)} refused")

    def _summary(self, cause: MlflowError, what: str) -> MlflowError:
        """The cause's class, with what the logger stored and which points the server refused."""
        names = ", ".join(_point(m) for m, _ in self.refused[:_SHOWN])
        more = f" and {len(self.refused) - _SHOWN} more" if len(self.refused) > _SHOWN else ""
        refused = f"; refused: {names}{more}" if self.refused else ""
        detail = cause.message if isinstance(cause, ApiError) else str(cause)
        message = f"background logger for run {self._run_id}: {self.stored} points stored, {what}{refused}: {detail}"
        if isinstance(cause, ApiError):
            error: MlflowError = type(cause)(
                message, http_status=cause.http_status, error_code=cause.error_code, method=cause.method,
                path=cause.path, body=cause.body,
            )  # fmt: skip
        else:
            error = type(cause)(message)
        error.stored = self.stored  # type: ignore[attr-defined]
        error.refused = [m for m, _ in self.refused]  # type: ignore[attr-defined]
        error.unsent = self.unsent  # type: ignore[attr-defined]
        return error

    def spill(self) -> int:
        """After a flush timed out with a journal: the points still in memory are recorded as
        logBatch calls queued for sync (a batch in flight may be recorded twice: the server
        stores an identical point once). Returns how many points."""
        from mlflowrest._generated.operations import OPERATIONS

        journal = self._client._transport.journal
        assert journal is not None
        points = [m.model_dump(exclude_none=True) for part in list(self._parts) for m in part]
        while self._queue:
            key, value, ts, step = self._queue.popleft()
            points.append({"key": key, "value": value, "timestamp": ts, "step": step})
        op = OPERATIONS["logBatch"]
        for i in range(0, len(points), _BATCH):
            journal.call(op, op.path, {"run_id": self._run_id, "metrics": points[i : i + _BATCH]}, None)
        return len(points)

    def close(self, timeout: float | None = None) -> None:
        """Flush, then stop the thread; after a timeout the unsent points are given up."""
        try:
            self.flush(timeout)
        except RequestTimeoutError:
            self._stopped = True
            raise
        finally:
            self._closed = True
            self._wake.set()
            if self.unsent == 0:
                self._thread.join(timeout=5)
