"""Types the generated models build on."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationError

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _parse_double(value: Any) -> Any:
    # protobuf's JSON sends NaN and infinities as strings.
    return _SPECIAL.get(value, value) if isinstance(value, str) else value


def _dump_double(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


Double = Annotated[float, BeforeValidator(_parse_double), PlainSerializer(_dump_double, when_used="json")]
"""A float on our side; a number or "NaN" / "Infinity" / "-Infinity" on the wire."""


class Model(BaseModel):
    """Base of every generated model: fields a newer server adds are kept, not rejected."""

    # defer_build: ~280 models would otherwise build their validators at import time.
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def __init__(self, **data: Any) -> None:
        # models.Param(key="bad key!") raises the family's typed error, not pydantic's.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            from mlflowrest._validation import from_pydantic  # _validation imports the models

            raise from_pydantic(exc, prefix=f"{type(self).__name__}.") from None

    # Marks this __init__ as pydantic's own, so model_validate (decoding answers, checking
    # request bodies) keeps its fast path and its ValidationError; only direct calls come here.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]
