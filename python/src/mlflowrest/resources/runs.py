from __future__ import annotations

import time
from collections.abc import Mapping

import pydantic

from mlflowrest._batching import chunk_batch
from mlflowrest._generated import models
from mlflowrest._generated.operations import OPERATIONS
from mlflowrest._generated.resources import RunsResource as _Generated
from mlflowrest._transport import _validation_error
from mlflowrest._types import Model
from mlflowrest.resources._request_id import REQUEST_ID_TAG, new_request_id


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
    ) -> models.CreateRunResponse:
        """Create a run. A retry after a lost answer returns the run the first try made
        (found by its request-id tag) instead of making a second one."""
        request_id = new_request_id()
        all_tags = [*(tags or []), models.RunTag(key=REQUEST_ID_TAG, value=request_id)]
        start_time = start_time if start_time is not None else int(time.time() * 1000)

        def recover() -> models.CreateRunResponse | None:
            page = self.search(
                experiment_ids=[experiment_id or "0"],
                filter=f"tags.`{REQUEST_ID_TAG}` = '{request_id}'",
                run_view_type="ALL",
                max_results=1,
            ).first
            return models.CreateRunResponse(run=page.runs[0]) if page.runs else None

        return self._call(
            models.CreateRunResponse, OPERATIONS["createRun"], {},
            {"experiment_id": experiment_id, "user_id": user_id, "run_name": run_name, "start_time": start_time,
             "tags": all_tags},
            timeout=timeout, recover=recover,
        )  # fmt: skip

    def log_batch(
        self,
        *,
        run_id: str | None = None,
        metrics: list[models.Metric] | None = None,
        params: list[models.Param] | None = None,
        tags: list[models.RunTag] | None = None,
        timeout: float | None = None,
    ) -> models.LogBatchResponse:
        """Log any number of metrics, params and tags, in as many requests as the server's limits
        need. Every entity is checked before the first request, so bad input writes nothing."""
        op = OPERATIONS["logBatch"]
        try:
            checked_metrics = [models.Metric.model_validate(_fields(m)) for m in metrics or []]
            checked_params = [models.Param.model_validate(_fields(p)) for p in params or []]
            checked_tags = [models.RunTag.model_validate(_fields(t)) for t in tags or []]
        except pydantic.ValidationError as exc:
            raise _validation_error(exc, op) from None
        for chunk in chunk_batch(checked_metrics, checked_params, checked_tags):
            self._call(
                models.LogBatchResponse, op, {},
                {"run_id": run_id, "metrics": chunk.metrics or None, "params": chunk.params or None,
                 "tags": chunk.tags or None},
                timeout=timeout,
            )  # fmt: skip
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


def _fields(entity: object) -> object:
    """Model instances are checked again: one built with model_construct() skipped the limits."""
    return entity.__dict__ if isinstance(entity, Model) else entity
