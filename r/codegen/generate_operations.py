"""Write r/R/generated_operations.R from openapi/mlflow.yaml: one R function per spec operation.

Each function is named after the operation's family names (`x-mlflowrest-resource` and
`-method`, as Python's `client.<resource>.<method>`): `api_runs_log_batch(client, run_id, ...)`.
Path parameters come first, then the query parameters and JSON body fields as the API names
them (NULL leaves a field out); lists in, the answer's JSON as a list out, through
`send_operation()` and so the one request helper. An alias (a GET twin of a POST search) takes
its operationId's extra words (`_via_get`). `api_operation_functions` maps every operationId to
its function, for mlflow_call_operation() and the spec-walking test.

Deterministic output (the spec's order), so `make check-generated` compares it byte for byte.
Usage: `.venv/bin/python r/codegen/generate_operations.py`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "mlflow.yaml"
OUT = ROOT / "r" / "R" / "generated_operations.R"
# The arguments every function has besides the API's names.
RESERVED = {"client", ".body", ".before_retry", ".upload_file", ".download_to"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def function_name(op: dict[str, Any]) -> str:
    base = f"api_{op['x-mlflowrest-resource']}_{op['x-mlflowrest-method']}"
    alias_of = op.get("x-mlflowrest-alias-of")
    if alias_of:
        own, primary = snake(op["operationId"]), snake(alias_of)
        base += own[len(primary) :] if own.startswith(primary) else "_" + own
    return base


def body_fields(op: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" not in schema:
        return []
    return list(schemas[schema["$ref"].rsplit("/", 1)[-1]].get("properties", {}))


WIDTH = 100


def wrap(opening: str, items: list[str], closing: str, indent: str) -> str:
    """`opening` + items joined by ", " + `closing`, broken into lines of at most WIDTH characters."""
    if not items:
        return opening + closing
    lines, line = [], opening
    for i, item in enumerate(items):
        piece = item + (", " if i < len(items) - 1 else closing)
        if len(line) + len(piece.rstrip()) > WIDTH and line.strip() != opening.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece
    lines.append(line)
    return "\n".join(lines)


def list_call(names: list[str]) -> str:
    return "list(" + ", ".join(f"{n} = {n}" for n in names) + ")"


def function_source(op: dict[str, Any], method: str, path: str, schemas: dict[str, Any]) -> str:
    params = op.get("parameters", [])
    path_params = [p["name"] for p in params if p["in"] == "path"]
    query = [p["name"] for p in params if p["in"] == "query"]
    content = op.get("requestBody", {}).get("content", {})
    ok = op["responses"]["200"].get("content", {})
    body_kind = "json" if "application/json" in content else "binary" if content else "none"
    binary_answer = bool(ok) and "application/json" not in ok
    # A body field named like a path parameter (the server reads it from the body too) takes the
    # path parameter's value: one argument, sent in both places.
    body_names = [f for f in body_fields(op, schemas) if f not in query]
    fields = [f for f in body_names if f not in path_params]
    names = path_params + query + fields
    clash = RESERVED.intersection(names) | {n for n in names if not re.fullmatch(r"[a-z][a-z0-9_]*", n)}
    if clash:
        raise SystemExit(f"{op['operationId']}: argument names {sorted(clash)} need another spelling in R")
    args = ["client", *path_params, *(f"{n} = NULL" for n in query + fields)]
    lists: list[tuple[str, list[str]]] = []  # (argument, the names in its list)
    if path_params:
        lists.append(("path = ", path_params))
    if query:
        lists.append(("query = ", query))
    if body_kind == "json":
        args.append(".body = NULL")
        lists.append(("body = .body %||% ", body_names))
    extra = []
    if body_kind == "binary":
        args.append(".upload_file")
        extra.append("upload_file = .upload_file")
    if binary_answer:
        args.append(".download_to")
        extra.append("download_to = .download_to")
    if op.get("x-r-safety") == "recover-by-request-id":
        args.append(".before_retry = NULL")
        extra.append("before_retry = .before_retry")
    one_line = ", ".join(["client", f'"{op["operationId"]}"', *(a + list_call(n) for a, n in lists), *extra])
    if len(f"  send_operation({one_line})") <= WIDTH:
        body = f"  send_operation({one_line})"
    else:
        indent = " " * len("  send_operation(")
        parts = [f'  send_operation(client, "{op["operationId"]}"']
        for arg, names in lists:
            opening = indent + arg + "list("
            parts.append(wrap(opening, [f"{n} = {n}" for n in names], ")", " " * len(opening)))
        parts.extend(indent + e for e in extra)
        body = ",\n".join(parts) + ")"
    head = f"# The {op['operationId']} operation: {method.upper()} {path}"
    opening = f"{function_name(op)} <- function("
    signature = wrap(opening, args, ") {", " " * len(opening))
    return f"{head}\n{signature}\n{body}\n}}\n"


# Schema keywords checked before sending (JSON-Schema name -> the R check's name).
CHECKED = {"maxLength": "max_length", "minLength": "min_length", "pattern": "pattern", "minimum": "minimum",
           "maximum": "maximum", "maxItems": "max_items", "enum": "enum"}  # fmt: skip


def r_value(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"{value}L" if abs(value) < 2**31 else repr(float(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "c(" + ", ".join(r_value(v) for v in value) + ")"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def checks(op: dict[str, Any], schemas: dict[str, Any]) -> str | None:
    """The spec's constraints on an operation's query parameters and top-level body fields."""
    required: list[str] = []
    fields: dict[str, dict[str, Any]] = {}
    for p in op.get("parameters", []):
        if p["in"] != "query":
            continue
        if p.get("required"):
            required.append(p["name"])
        fields[p["name"]] = p.get("schema", {})
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        body = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        required += body.get("required", [])
        fields.update(body.get("properties", {}))
    rows = []
    for name, prop in fields.items():
        found = {CHECKED[k]: v for k, v in prop.items() if k in CHECKED}
        if prop.get("type") == "integer" and prop.get("format") == "int64":
            found["int64"] = True
        if found:
            rows.append(f"{name} = list(" + ", ".join(f"{k} = {r_value(v)}" for k, v in found.items()) + ")")
    if not rows and not required:
        return None
    parts = []
    if required:
        parts.append(f"required = {r_value(required)}")
    parts.append("fields = list(" + ", ".join(rows) + ")")
    return f"  {op['operationId']} = list(" + ", ".join(parts) + ")"


def render() -> str:
    sys.path.insert(0, str(ROOT / "openapi" / "tools"))
    import family_rules

    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    safety = {k: v["safety"] for k, v in family_rules.load(spec)["retry"]["operations"].items()}
    schemas = spec["components"]["schemas"]
    functions, table, constraints = [], [], []
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            op = {**op, "x-r-safety": safety[op["operationId"]]}
            functions.append(function_source(op, method, path, schemas))
            table.append(f'  {op["operationId"]} = "{function_name(op)}"')
            found = checks(op, schemas)
            if found:
                constraints.append(found)
    if len({t.split(" = ")[1] for t in table}) != len(table):
        raise SystemExit("two operations would get one R function name")
    return "\n".join(
        [
            "# GENERATED by r/codegen/generate_operations.py from openapi/mlflow.yaml -- do not edit; "
            "run `make generate-r`.",
            "",
            "# Every operation of the spec as a function: path parameters, then query parameters and body",
            "# fields by their API names (NULL leaves one out); `.body` sends a body built by the caller",
            "# instead (a list, or `json` text). JSON lists in, the answer's JSON as a list out.",
            "",
            *functions,
            "# operationId -> its function, for mlflow_call_operation().",
            "api_operation_functions <- c(",
            ",\n".join(table),
            ")",
            "",
            "# The spec's constraints checked before sending (validate.R): required names, and per query",
            "# parameter or top-level body field its maxLength, pattern, minimum, maxItems or enum, and",
            "# whether it is an int64 (a digit string then goes out exactly, as a JSON number).",
            "api_operation_checks <- list(",
            ",\n".join(constraints),
            ")",
            "",
        ]
    )


def main() -> int:
    OUT.write_text(render(), encoding="utf-8", newline="\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
