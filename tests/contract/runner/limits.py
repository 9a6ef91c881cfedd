"""`{$limit: <expression>}` in contract files: a server limit from the spec's x-mlflow-limits, so a
scenario says `max_param_value_length + 1` instead of 6001 and follows the pinned server."""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

SPEC_FILE = Path(__file__).resolve().parents[3] / "openapi" / "mlflow.yaml"


@functools.cache
def limits() -> dict[str, int]:
    spec = yaml.safe_load(SPEC_FILE.read_text())
    return {k: v for k, v in spec["x-mlflow-limits"].items() if isinstance(v, int)}


_OPERATORS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv}


def evaluate(expression: str) -> int:
    """`max_param_value_length + 1` -> 6001: integers, limit names, + - * // and parentheses only."""
    known = limits()

    def value(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in known:
                raise ValueError(f"{node.id!r} is not one of the spec's x-mlflow-limits ({', '.join(sorted(known))})")
            return known[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise ValueError(f"{ast.unparse(node)!r} is not allowed (integers, limit names, + - * // and parentheses)")

    try:
        return value(ast.parse(expression, mode="eval").body)
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {expression!r}: {exc.msg}") from None


def resolve_limits(value: Any, where: str = "") -> Any:
    if isinstance(value, dict):
        if set(value) == {"$limit"}:
            try:
                return evaluate(value["$limit"])
            except ValueError as exc:
                raise ValueError(f"{where}: $limit {exc}") from None
        return {k: resolve_limits(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_limits(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value
