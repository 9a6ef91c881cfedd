"""Idempotency keys for runs: a retried or speculative task gets the run its first attempt made.

The rule is the family's (docs/design.md, "Exactly-once runs"): the key is stored as a run tag;
a start with a key first looks for an active run carrying it in the experiment. When none exists
it creates one, then settles a race with concurrent starters by keeping the oldest run carrying
the key, ordered by (start_time, run_id): a starter whose run is not the oldest deletes it and
takes the oldest. It decides once the set of runs with the key has stopped growing for one
settle interval (twice its own create's duration, bounded), so concurrent creates still in flight
are seen first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlflowrest._exceptions import InvalidParameterValueError
from mlflowrest._generated import models, rules

if TYPE_CHECKING:
    from mlflowrest.resources.runs import RunsResource

IDEMPOTENCY_KEY_TAG = rules.IDEMPOTENCY_KEY_TAG  # openapi/family-rules.yaml, idempotency
MAX_KEY_LENGTH = rules.IDEMPOTENCY_MAX_KEY_LENGTH
_ALLOWED = re.compile(r"^[^'\"\\\x00-\x1f]+$")  # the key goes into a search filter's quotes
_SETTLE_ROUNDS = 10
_SETTLE_MIN, _SETTLE_MAX = rules.IDEMPOTENCY_SETTLE_MIN_MS / 1000, rules.IDEMPOTENCY_SETTLE_MAX_MS / 1000


@dataclass
class StartedRun:
    run: models.Run
    resumed: bool  # an earlier start with the key made this run
    previous_status: str | None  # its status before this start (None when newly created)

    @property
    def already_finished(self) -> bool:
        return self.previous_status == "FINISHED"


def check_idempotency_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not _ALLOWED.match(key):
        raise InvalidParameterValueError(
            f"idempotency_key must be 1-{MAX_KEY_LENGTH} characters without quotes, backslashes or control "
            f"characters, got {key!r}",
            field="idempotency_key", limit=f"max_length={MAX_KEY_LENGTH}",
        )  # fmt: skip
    return key


def start_idempotent(
    runs: RunsResource, experiment_id: str, key: str, create: Callable[[], models.Run],
    sleep: Callable[[float], None] = time.sleep,
) -> StartedRun:  # fmt: skip
    """Return the run carrying `key` in the experiment, resuming it unless FINISHED, or the one
    `create()` makes (tagged with the key by the caller) when there is none."""
    existing = _oldest(runs, experiment_id, key)
    if existing is not None:
        return _resume(runs, existing)
    began = time.monotonic()
    mine = create()
    settle = min(max(2 * (time.monotonic() - began), _SETTLE_MIN), _SETTLE_MAX)
    # Decide only once no new run with the key appeared for one settle interval: creates queued
    # behind each other on a busy server commit one by one, and a decision taken mid-queue could
    # pick a run that a later-committed, older one outranks. Bounded: at most _SETTLE_ROUNDS waits.
    seen: set[str] = set()
    for _ in range(_SETTLE_ROUNDS):
        found = _with_key(runs, experiment_id, key)
        ids = {_id(r) for r in found}
        if seen and ids <= seen:
            break
        seen |= ids
        sleep(settle)
    for _ in range(_SETTLE_ROUNDS):
        oldest = _oldest(runs, experiment_id, key)
        if oldest is None or _id(oldest) == _id(mine):
            return StartedRun(mine, resumed=False, previous_status=None)
        if _still_active(runs, oldest):  # its starter may have stepped down since the search
            runs.delete(run_id=_id(mine))  # a concurrent starter's run is older: it wins
            return _resume(runs, oldest)
        sleep(settle)
    return StartedRun(mine, resumed=False, previous_status=None)


def _oldest(runs: RunsResource, experiment_id: str, key: str) -> models.Run | None:
    found = _with_key(runs, experiment_id, key)
    if not found:
        return None
    return min(found, key=lambda r: (r.info.start_time or 0, _id(r)) if r.info else (0, ""))


def _with_key(runs: RunsResource, experiment_id: str, key: str) -> list[models.Run]:
    return list(
        runs.search(
            experiment_ids=[experiment_id], filter=f"tags.`{IDEMPOTENCY_KEY_TAG}` = '{key}'",
            run_view_type="ACTIVE_ONLY", max_results=1000,
        )
    )  # fmt: skip


def _resume(runs: RunsResource, run: models.Run) -> StartedRun:
    status = run.info.status if run.info else None
    if status != "FINISHED":
        runs.update(run_id=_id(run), status="RUNNING")
        run = runs.get(run_id=_id(run)).run or run
    return StartedRun(run, resumed=True, previous_status=status)


def _still_active(runs: RunsResource, run: models.Run) -> bool:
    got = runs.get(run_id=_id(run)).run
    return bool(got and got.info and got.info.lifecycle_stage == "active")


def _id(run: models.Run) -> str:
    assert run.info is not None and run.info.run_id
    return run.info.run_id
