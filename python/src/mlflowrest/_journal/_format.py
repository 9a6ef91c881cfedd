"""Names, ids and record fields of the journal format (openapi/family-rules.yaml, journal)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from mlflowrest._generated import rules

J = rules.JOURNAL
FORMAT, VERSION = J["format"], J["version"]
PREFIX, SUFFIX = J["file_prefix"], J["file_suffix"]
ARTIFACTS, LOCK = J["artifacts_dir"], J["lock_dir"]
ID_FIELDS = frozenset(J["id_fields"])
# Writes that are reads: POSTs carrying a query (searchRuns, batchGetTraceInfos, ...).
READ_PREFIXES = tuple(J["read_prefixes"])
LOCAL_ID = re.compile("^" + re.escape(J["local_id_prefix"]) + "[0-9a-f]{32}$")
FILE_NAME = re.compile("^" + re.escape(PREFIX) + "([0-9a-f]{32})" + re.escape(SUFFIX) + "$")
# Which response field holds the id a create makes (the `binds.field` of a call record).
BINDS = {"createRun": "run.info.run_id", "createExperiment": "experiment_id"}


def now_ms() -> int:
    return int(time.time() * 1000)


def new_session() -> str:
    return uuid.uuid4().hex


def new_local_id() -> str:
    return str(J["local_id_prefix"]) + uuid.uuid4().hex


def file_name(session: str) -> str:
    return f"{PREFIX}{session}{SUFFIX}"


def is_local(value: Any) -> bool:
    return isinstance(value, str) and LOCAL_ID.match(value) is not None


def local_ids(body: Any) -> set[str]:
    """Local ids in the id fields of a body, at any depth."""
    found: set[str] = set()

    def walk(node: Any, field: str | None) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, field)
        elif field in ID_FIELDS and is_local(node):
            found.add(node)

    walk(body, None)
    return found


def substitute(body: Any, binds: dict[str, str]) -> Any:
    """The body with every bound local id in an id field replaced by its server id."""

    def walk(node: Any, field: str | None) -> Any:
        if isinstance(node, dict):
            return {key: walk(value, key) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, field) for item in node]
        if field in ID_FIELDS and isinstance(node, str):
            return binds.get(node, node)
        return node

    return walk(body, None)


def field_value(answer: Any, dotted: str) -> Any:
    """`run.info.run_id` of a JSON answer (dicts) or a decoded model (attributes)."""
    node = answer
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            return None
    return node
