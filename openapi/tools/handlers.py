"""Read request rules from the server's own Flask handlers (mlflow.server.handlers).

The GenAI RPCs mostly leave `validate_required` off their proto fields; their handlers say what
they need instead, as a `schema=` dict of validators passed to `_get_request_message` (proto
routes) or `_get_validated_flask_request_json` (routes outside the protos). This module parses
the handler's source and returns those fields, so build_spec.py marks them required and types
the routes that have no message.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

# What a validator says about a field's JSON type (routes without a proto message only).
VALIDATOR_TYPES: dict[str, dict[str, Any]] = {
    "_assert_string": {"type": "string"},
    "_assert_intlike": {"type": "integer", "format": "int64"},
    "_assert_bool": {"type": "boolean"},
    "_assert_floatlike": {"type": "number"},
    "_assert_array": {"type": "array"},
    "_assert_dict": {"type": "object"},
}
SCHEMA_CALLS = {"_get_request_message", "_get_validated_flask_request_json"}


def handler_schema(handler: Any) -> dict[str, list[str]] | None:
    """{field: [validator names]} from the handler's `schema=` argument, or None if it has none."""
    try:
        source = textwrap.dedent(inspect.getsource(inspect.unwrap(handler)))
    except (OSError, TypeError):
        return None
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SCHEMA_CALLS):
            continue
        for kw in node.keywords:
            if kw.arg == "schema" and isinstance(kw.value, ast.Dict):
                out: dict[str, list[str]] = {}
                for key, value in zip(kw.value.keys, kw.value.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(value, ast.List):
                        out[str(key.value)] = [v.id for v in value.elts if isinstance(v, ast.Name)]
                return out
    return None


def required_fields(handler: Any) -> list[str]:
    """The top-level fields the handler rejects a request without (`_assert_required`)."""
    schema = handler_schema(handler) or {}
    return [name for name, validators in schema.items() if "_assert_required" in validators]


def field_schema(validators: list[str]) -> dict[str, Any]:
    """A field's JSON schema from its validators, for routes no proto message describes."""
    out: dict[str, Any] = {}
    for v in validators:
        out.update(VALIDATOR_TYPES.get(v, {}))
    if out.get("type") == "array":
        out["items"] = {"type": "string"} if "_assert_item_type_string" in validators else {}
    return out
