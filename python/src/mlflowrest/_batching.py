"""Split any log_batch into requests the server accepts (limits from the spec's x-mlflow-limits)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from mlflowrest._generated import models, rules
from mlflowrest._generated.limits import LIMITS

MAX_METRICS = int(LIMITS["max_metrics_per_batch"])
MAX_PARAMS_TAGS = int(LIMITS["max_params_tags_per_batch"])
MAX_ENTITIES = int(LIMITS["max_entities_per_batch"])
# The server measures the whole request body; the envelope and run id get the family's reserve
# (family-rules.yaml, batch), the entities the rest, measured exactly.
MAX_BYTES = int(LIMITS["max_batch_request_bytes"]) - rules.BATCH_ENVELOPE_RESERVE_BYTES


@dataclass
class Chunk:
    metrics: list[models.Metric] = field(default_factory=list)
    params: list[models.Param] = field(default_factory=list)
    tags: list[models.RunTag] = field(default_factory=list)
    size: int = 0
    param_keys: set[str] = field(default_factory=set)
    # Where this chunk starts in the caller's lists, to name items by the caller's index.
    offsets: dict[str, int] = field(default_factory=dict)

    @property
    def entities(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)


# A metric's JSON without its key is at most ~110 bytes: four field names with separators, a
# double (at most 24 characters as text) and two 64-bit integers (at most 20 each).
_METRIC_BOUND = 112


def _size(entity: models.Metric | models.Param | models.RunTag) -> int:
    """Bytes the entity takes in the request body, or a bound on it; params and tags are
    measured exactly since their values may be kilobytes."""
    if isinstance(entity, models.Metric):
        return len(json.dumps(entity.key)) + _METRIC_BOUND  # a dump per metric cost half the CPU
    return len(json.dumps(entity.model_dump(mode="json", exclude_none=True))) + 2


def chunk_batch(
    metrics: Sequence[models.Metric], params: Sequence[models.Param], tags: Sequence[models.RunTag]
) -> Iterator[Chunk]:
    """Params and tags go first so a run's configuration lands before its metrics."""
    chunk = Chunk()
    kinds: tuple[tuple[str, Sequence[models.Metric | models.Param | models.RunTag]], ...] = (
        ("params", params), ("tags", tags), ("metrics", metrics),
    )  # fmt: skip
    key_sizes: dict[str | None, int] = {}  # a batch repeats few metric keys: each is measured once
    for kind, items in kinds:
        for index, item in enumerate(items):
            known = key_sizes.get(item.key) if kind == "metrics" else None
            size = _size(item) if known is None else known
            if kind == "metrics":
                key_sizes[item.key] = size
            full = (
                chunk.entities >= MAX_ENTITIES
                or chunk.size + size > MAX_BYTES
                or (kind == "metrics" and len(chunk.metrics) >= MAX_METRICS)
                or (kind == "params" and (len(chunk.params) >= MAX_PARAMS_TAGS or item.key in chunk.param_keys))
                or (kind == "tags" and len(chunk.tags) >= MAX_PARAMS_TAGS)
            )
            if full and chunk.entities:
                yield chunk
                chunk = Chunk()
            chunk.offsets.setdefault(kind, index)
            getattr(chunk, kind).append(item)
            chunk.size += size
            if kind == "params":
                chunk.param_keys.add(str(item.key))
    if chunk.entities:
        yield chunk
