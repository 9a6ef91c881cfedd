from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, TypeVar, cast

import pydantic

from mlflowrest._batching import Chunk, chunk_batch
from mlflowrest._exceptions import ApiError, InvalidParameterValueError, MlflowError
from mlflowrest._generated import models
from mlflowrest._generated.operations import OPERATIONS
from mlflowrest._generated.resources import RunsResource as _Generated
from mlflowrest._operation import Operation
from mlflowrest._types import Model
from mlflowrest._validation import check_batch, from_pydantic
from mlflowrest.resources._idempotency import IDEMPOTENCY_KEY_TAG, StartedRun, check_idempotency_key, start_idempotent

M = TypeVar("M", bound=Model)


class RunsResource(_Generated):
    def create(
        self,
        *,
        experiment_id: str | None = None,
        user_id: str | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: list[models.RunTag] | None = None,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> models.CreateRunResponse:
        """Create a run, started now unless `start_time` says otherwise. A retry after a lost answer
        returns the run the first try made (found by its request-id tag) instead of making a second.

        With `idempotency_key`, a run already carrying the key in the experiment is returned
        instead: set RUNNING again unless it is FINISHED (then returned untouched, so
        `run.info.status` tells the caller). Concurrent creates with one key end with one run."""
        if idempotency_key is not None:
            return models.CreateRunResponse(run=self.start_or_resume(
                experiment_id=experiment_id, user_id=user_id, run_name=run_name, start_time=start_time, tags=tags,
                timeout=timeout, idempotency_key=idempotency_key,
            ).run)  # fmt: skip
        start_time = start_time if start_time is not None else int(time.time() * 1000)
        return self._call(
            models.CreateRunResponse, OPERATIONS["createRun"], {},
            {"experiment_id": experiment_id, "user_id": user_id, "run_name": run_name, "start_time": start_time,
             "tags": tags},
            timeout=timeout,
        )  # fmt: skip

    def start_or_resume(
        self,
        *,
        idempotency_key: str,
        experiment_id: str | None = None,
        user_id: str | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: list[models.RunTag] | None = None,
        timeout: float | None = None,
    ) -> StartedRun:
        """create(idempotency_key=...), also saying whether the run was resumed and its status before."""
        key = check_idempotency_key(idempotency_key)
        keyed = [*(tags or []), models.RunTag(key=IDEMPOTENCY_KEY_TAG, value=key)]

        def create() -> models.Run:
            made = self.create(experiment_id=experiment_id, user_id=user_id, run_name=run_name,
                               start_time=start_time, tags=keyed, timeout=timeout)  # fmt: skip
            assert made.run is not None
            return made.run

        return start_idempotent(self, experiment_id or "0", key, create)

    def log_batch(
        self,
        *,
        run_id: str | None = None,
        metrics: list[models.Metric] | None = None,
        params: list[models.Param] | None = None,
        tags: list[models.RunTag] | None = None,
        timeout: float | None = None,
        concurrency: int | None = None,
    ) -> models.LogBatchResponse:
        """Log any number of metrics, params and tags, in as many requests as the server's limits
        need. Every entity is checked before the first request (key rules, int64 step and
        timestamp, a param given twice with two values), so bad input writes nothing; errors
        name the caller's index (`params[150].key`).

        Params and tags go first, one request after another (a later tag overwrites an earlier
        one); then up to `concurrency` metric-only requests are in flight at once (default:
        the client's batch_concurrency, 2). Metric points are a set on the server, so their
        order of arrival changes nothing. If a request fails, the others in flight finish, no
        new one starts, and the first failure is raised with a note of how many metric points
        were stored."""
        op = OPERATIONS["logBatch"]
        in_flight = self._client.config.batch_concurrency if concurrency is None else concurrency
        if in_flight < 1:
            raise InvalidParameterValueError(f"concurrency must be at least 1, got {in_flight}", field="concurrency")
        checked_metrics = _checked(models.Metric, "metrics", metrics, op)
        checked_params = _checked(models.Param, "params", params, op)
        checked_tags = _checked(models.RunTag, "tags", tags, op)
        check_batch(checked_metrics, checked_params, checked_tags)

        limit = self._client._transport.write_limit
        wait = timeout or self._client.config.timeout

        def send(chunk: Chunk) -> int:
            try:
                with limit.slot(wait):  # shared by every thread logging through this client
                    self._call(
                        models.LogBatchResponse, op, {},
                        {"run_id": run_id, "metrics": chunk.metrics or None, "params": chunk.params or None,
                         "tags": chunk.tags or None},
                        timeout=timeout,
                    )  # fmt: skip
            except ApiError as exc:
                raise _in_callers_terms(exc, chunk) from None
            limit.stored()
            return len(chunk.metrics)

        chunks = list(chunk_batch(checked_metrics, checked_params, checked_tags))
        ordered = [c for c in chunks if c.params or c.tags]
        metric_only = [c for c in chunks if not (c.params or c.tags)]
        stored = sum(send(c) for c in ordered)
        if in_flight == 1 or len(metric_only) < 2:
            for chunk in metric_only:
                try:
                    stored += send(chunk)
                except MlflowError as exc:
                    raise _noted(exc, stored, len(checked_metrics)) from None
        else:
            stored = _send_concurrently(send, metric_only, in_flight, stored, len(checked_metrics))
        return models.LogBatchResponse()

    def log_values(
        self,
        run_id: str,
        *,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, str] | None = None,
        step: int = 0,
    ) -> None:
        """log_batch from plain dicts, stamped now at `step`."""
        now = int(time.time() * 1000)
        self.log_batch(
            run_id=run_id,
            metrics=[models.Metric(key=k, value=v, timestamp=now, step=step) for k, v in (metrics or {}).items()],
            params=[models.Param(key=k, value=str(v)) for k, v in (params or {}).items()],
            tags=[models.RunTag(key=k, value=v) for k, v in (tags or {}).items()],
        )


def _send_concurrently(send: Callable[[Chunk], int], chunks: list[Chunk], in_flight: int, stored: int,
                       total: int) -> int:  # fmt: skip
    """Keep `in_flight` chunks on the wire; after a failure start no more and wait for the rest."""
    first: MlflowError | None = None
    pending = iter(chunks)
    with ThreadPoolExecutor(in_flight, thread_name_prefix="mlflowrest-batch") as pool:
        running = {pool.submit(send, c) for c in itertools.islice(pending, in_flight)}
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    stored += future.result()
                except MlflowError as exc:
                    first = first or exc
            if first is None:
                running |= {pool.submit(send, c) for c in itertools.islice(pending, len(done))}
    if first is not None:
        raise _noted(first, stored, total) from None
    return stored


def _noted(exc: MlflowError, stored: int, total: int) -> MlflowError:
    """Say what is on the server: resending the whole batch is safe (identical points are
    stored once), but a caller may want to know."""
    exc.stored_metrics = stored  # type: ignore[attr-defined]
    if hasattr(exc, "add_note"):  # Python 3.11+
        exc.add_note(f"log_batch: {stored} of {total} metric points are stored; the rest failed or were not sent")
    return exc


# One list validator per entity model: a 500-metric batch is checked in one pydantic call.
_LIST_ADAPTERS: dict[type[Model], pydantic.TypeAdapter[list[Any]]] = {}


def _checked(model: type[M], kind: str, items: list[M] | None, op: Operation) -> list[M]:
    """Each entity through its model (one built with model_construct() skipped the limits), the
    whole list at once; a refused list is checked again item by item, so the error names the
    caller's index exactly as one entity's check does."""
    if not items:
        return []
    adapter = _LIST_ADAPTERS.get(model)
    if adapter is None:
        adapter = _LIST_ADAPTERS[model] = pydantic.TypeAdapter(list[model])  # type: ignore[valid-type]
    try:
        return cast("list[M]", adapter.validate_python([_fields(item) for item in items]))
    except pydantic.ValidationError as whole:
        for i, item in enumerate(items):
            try:
                model.model_validate(_fields(item))
            except pydantic.ValidationError as exc:
                raise from_pydantic(exc, prefix=f"{kind}[{i}].", method=op.method, path=op.path) from None
        raise from_pydantic(whole, prefix=f"{kind}.", method=op.method, path=op.path) from None


_INDEX = re.compile(r"\b(metrics|params|tags)\[(\d+)\]")


def _in_callers_terms(exc: ApiError, chunk: Chunk) -> ApiError:
    """The server counts within one request; the caller counts within the whole call."""
    shifted = _INDEX.sub(lambda m: f"{m[1]}[{int(m[2]) + chunk.offsets.get(m[1], 0)}]", exc.message)
    if shifted == exc.message:
        return exc
    return type(exc)(shifted, http_status=exc.http_status, error_code=exc.error_code, method=exc.method,
                     path=exc.path, body=exc.body)  # fmt: skip


def _fields(entity: object) -> object:
    """Model instances are checked again: one built with model_construct() skipped the limits."""
    return entity.__dict__ if isinstance(entity, Model) else entity
