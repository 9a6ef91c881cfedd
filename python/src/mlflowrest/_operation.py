"""What the transport needs to know about one endpoint (rows of _generated/operations.py)."""

from __future__ import annotations

from dataclasses import dataclass

from mlflowrest._types import Model


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    resource: str
    name: str
    alias_of: str | None
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_kind: str | None  # "json", "binary" or None
    body_model: type[Model] | None
    response_kind: str  # "json", "binary" or "empty"
    response_model: type[Model] | None
    items_field: str | None  # the list a paginated response walks

    @property
    def idempotent(self) -> bool:
        """Whether sending twice is harmless. Only creates are not; they get a recover hook."""
        return not self.name.startswith(("create", "start"))
