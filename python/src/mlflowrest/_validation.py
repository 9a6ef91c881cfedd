"""Client-side checks: the server's rules applied before anything is queued or sent.

Bounds come from the generated models (the spec's `format: int64`, key patterns, lengths) and
`x-mlflow-limits`; nothing here keeps its own copy of a server number."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Any

import pydantic

from mlflowrest._exceptions import InvalidParameterValueError
from mlflowrest._generated import models
from mlflowrest._generated.limits import LIMITS

_KEY = re.compile(str(LIMITS["key_pattern"]))
_MAX_KEY = int(LIMITS["max_entity_key_length"])


def _int_bounds(model: type[pydantic.BaseModel], name: str) -> tuple[int, int]:
    """The ge/le the generator wrote for an int64 field of the spec."""
    low, high = None, None
    for item in model.model_fields[name].metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    assert low is not None and high is not None, f"{model.__name__}.{name} has no int64 bounds: run make generate"
    return int(low), int(high)


INT64_MIN, INT64_MAX = _int_bounds(models.Metric, "step")


def check_key(key: str, field: str = "key") -> str:
    """The server's key rule: its pattern and length, and a normalized relative path."""
    if not isinstance(key, str) or not key:
        raise InvalidParameterValueError(f"{field} must be a non-empty string, got {key!r}", field=field)
    if len(key) > _MAX_KEY:
        raise InvalidParameterValueError(
            f"{field} is {len(key)} characters; the limit is {_MAX_KEY}", field=field, limit=f"max_length={_MAX_KEY}"
        )
    norm = posixpath.normpath(key)  # the server's rule: a key must not name another path
    if not _KEY.match(key) or norm != key or norm == "." or norm.startswith(("..", "/")):
        raise InvalidParameterValueError(
            f"{field} {key!r} may only hold letters, digits, _ - . space : / and must be a normalized relative path",
            field=field, limit=f"pattern={_KEY.pattern}",
        )  # fmt: skip
    return key


def check_value(value: Any, key: str, field: str = "value") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameterValueError(
            f"metric {key!r}: value must be a number, got {type(value).__name__}", field=field
        )
    try:
        return float(value)  # NaN and infinities are valid metric values
    except OverflowError:
        raise InvalidParameterValueError(f"metric {key!r}: {value!r} does not fit a double", field=field) from None


def check_int64(value: Any, field: str) -> int:
    """step and timestamp are int64 on the wire: a larger number would be stored as something else."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterValueError(f"{field} must be an integer, got {type(value).__name__}", field=field)
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidParameterValueError(
            f"{field} {value} is outside int64", field=field, limit=f"ge={INT64_MIN}, le={INT64_MAX}"
        )
    return value


def from_pydantic(
    exc: pydantic.ValidationError, prefix: str = "", method: str | None = None, path: str | None = None
) -> InvalidParameterValueError:
    """A pydantic error as the family's typed error: the first problem's field and limit."""
    first = exc.errors()[0]
    field = prefix + ".".join(str(p) for p in first["loc"])
    ctx = first.get("ctx") or {}
    limit = ", ".join(f"{k}={v}" for k, v in ctx.items() if k in ("max_length", "min_length", "pattern", "le", "ge"))
    message = f"{field}: {first['msg']}" + (f" (limit: {limit})" if limit else "")
    if len(exc.errors()) > 1:
        message += f" and {len(exc.errors()) - 1} more problem(s)"
    return InvalidParameterValueError(message, field=field or None, limit=limit or None, method=method, path=path)


def check_batch(
    metrics: Sequence[models.Metric], params: Sequence[models.Param], tags: Sequence[models.RunTag]
) -> None:
    """What the models cannot see of the server's rules for one log_batch call (the key's path
    rule, a param given twice with two values), found before its first request; fields are named
    by the caller's indexes (params[150].key). The entities were validated by their models."""
    # The models already bounded step and timestamp (int64); a missing timestamp the server refuses.
    keys: set[str | None] = set()  # a training loop logs few distinct keys many times
    for i, metric in enumerate(metrics):
        if metric.key not in keys:
            keys.add(check_key(str(metric.key or ""), f"metrics[{i}].key"))
        if metric.timestamp is None:
            raise InvalidParameterValueError(f"metrics[{i}].timestamp is missing", field=f"metrics[{i}].timestamp")
    seen: dict[str, str | None] = {}
    for i, param in enumerate(params):
        key = check_key(str(param.key or ""), f"params[{i}].key")
        if key in seen and seen[key] != param.value:
            raise InvalidParameterValueError(
                f"params[{i}].key {key!r} is given twice with different values; a logged param cannot change",
                field=f"params[{i}].key",
            )
        seen[key] = param.value
    for i, tag in enumerate(tags):
        check_key(str(tag.key or ""), f"tags[{i}].key")
