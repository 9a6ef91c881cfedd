"""Client request ids that make retried creates safe (docs/design.md, "No duplicates")."""

from __future__ import annotations

import uuid

REQUEST_ID_TAG = "mlflowrest.request_id"


def new_request_id() -> str:
    return uuid.uuid4().hex
