"""What the transport needs to know about one endpoint (rows of _generated/operations.py)."""

from __future__ import annotations

from dataclasses import dataclass

from mlflowrest._generated import rules
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
    def retry_safety(self) -> str:
        """safe, recover-by-request-id or never: openapi/family-rules.yaml, retry.operations."""
        return rules.OPERATION_SAFETY[self.operation_id]
