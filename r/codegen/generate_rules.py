"""Write r/R/generated_rules.R from openapi/family-rules.yaml (checked by openapi/tools/family_rules.py).

Deterministic output (the data file's order, no timestamp), so `make check-generated` compares
it byte for byte. Usage: `.venv/bin/python r/codegen/generate_rules.py`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "r" / "R" / "generated_rules.R"
FIELDS = ("env", "type", "default", "min", "min_exclusive", "values", "secret")


def lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"{value}L"
    if isinstance(value, float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def named(pairs: list[tuple[Any, Any]], indent: str = "  ") -> str:
    """A named character/integer vector, c(name = value, ...), names quoted (they may be numbers)."""
    return "c(\n" + ",\n".join(f'{indent}"{k}" = {lit(v)}' for k, v in pairs) + "\n)"


def lit_any(value: Any) -> str:
    """A scalar, or a list as a character/integer vector (an enum's values)."""
    if isinstance(value, list):
        return "c(" + ", ".join(lit(v) for v in value) + ")" if value else "character()"
    return lit(value)


def record(entry: dict[str, Any]) -> str:
    return "list(" + ", ".join(f"{k} = {lit_any(v)}" for k, v in entry.items()) + ")"


def route_safety(spec: dict[str, Any], operations: dict[str, Any]) -> str:
    """The operations that are not `safe`, by HTTP method and path pattern: R's request helper
    sees paths, not operation ids."""
    rows = []
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            safety = operations[op["operationId"]]["safety"]
            if safety != "safe" and method != "post":
                raise SystemExit(f"{op['operationId']}: R's route_rules() looks up POST routes only; extend it")
            if safety != "safe":
                pattern = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$"
                entry = {"method": method.upper(), "pattern": pattern, "operation": op["operationId"], "safety": safety}
                rows.append(f"  {record(entry)}")
    return "list(\n" + ",\n".join(rows) + "\n)"


def request_defaults(spec: dict[str, Any]) -> str:
    """The body fields the spec gives a default (e.g. searchExperiments max_results), by method
    and path, sent by the request helper when the caller gives none."""
    schemas = spec["components"]["schemas"]
    rows = []
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            props = schemas[schema["$ref"].rsplit("/", 1)[-1]].get("properties", {}) if "$ref" in schema else {}
            defaults = {k: v["default"] for k, v in sorted(props.items()) if "default" in v}
            if defaults and method != "post":
                raise SystemExit(f"{op['operationId']}: R's route_rules() looks up POST routes only; extend it")
            if defaults:
                pattern = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$"
                entry = f"method = {lit(method.upper())}, pattern = {lit(pattern)}, defaults = {record(defaults)}"
                rows.append(f"  list({entry})")
    return "list(\n" + ",\n".join(rows) + "\n)"


def operations(spec: dict[str, Any]) -> str:
    """Every operation of the spec (aliases too): what mlflow_call_operation() needs to send it."""
    rows = []
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {})
            ok = op["responses"]["200"].get("content", {})
            entry = {
                "method": method.upper(),
                "path": path,
                "body": "json" if "application/json" in content else "binary" if content else "none",
                "answer": "json" if "application/json" in ok else "binary" if ok else "empty",
            }
            vectors = {
                "path_params": [p["name"] for p in params if p["in"] == "path"],
                "query_params": [p["name"] for p in params if p["in"] == "query"],
            }
            cells = [f"{k} = {lit(v)}" for k, v in entry.items()]
            for k, v in vectors.items():
                cells.append(f"{k} = c({', '.join(lit(x) for x in v)})" if v else f"{k} = character()")
            rows.append(f"  {op['operationId']} = list({', '.join(cells)})")
    return "list(\n" + ",\n".join(rows) + "\n)"


def render() -> str:
    sys.path.insert(0, str(ROOT / "openapi" / "tools"))
    import family_rules

    spec = yaml.safe_load((ROOT / "openapi" / "mlflow.yaml").read_text(encoding="utf-8"))
    rules = family_rules.load(spec)
    errors, retry, config = rules["errors"], rules["retry"], rules["config"]
    r_class = {c["name"]: c["r"] for c in errors["classes"]}
    out = [
        "# GENERATED by r/codegen/generate_rules.py from openapi/family-rules.yaml -- do not edit; "
        "run `make generate-r`.",
        "",
        "# The rules the three SDKs share: errors, retries, request ids, configuration.",
        "",
        "# Condition class -> its parent condition class (the base has none).",
        "rules_error_parent <- " + named([(c["r"], r_class[c["parent"]]) for c in errors["classes"] if c["parent"]]),
        "rules_by_error_code <- " + named([(k, r_class[v]) for k, v in errors["by_error_code"].items()]),
        "rules_by_status <- " + named([(k, r_class[v]) for k, v in errors["by_status"].items()]),
        f"rules_server_error_from <- {lit(errors['server_error_from'])}",
        f"rules_error_from_status <- {lit(errors['error_from_status'])}",
        f"rules_redirect_class <- {lit(r_class[errors['redirect_class']])}",
        f"rules_message_text_limit <- {lit(errors['message_text_limit'])}",
        "",
        f"rules_retry_statuses <- c({', '.join(lit(s) for s in retry['statuses'])})",
        f"rules_unambiguous_statuses <- c({', '.join(lit(s) for s in retry['unambiguous_statuses'])})",
        f"rules_max_retry_after_seconds <- {lit(float(retry['max_retry_after_seconds']))}",
        f"rules_max_backoff_seconds <- {lit(float(retry['max_backoff_seconds']))}",
        "# Overload answers, retried whatever their status; NULL matches anything.",
        "rules_overload <- list(\n"
        + ",\n".join(f"  {record({k: o[k] for k in ('status', 'error_code', 'contains', 'outlasts_max_retries')})}" for o in retry["overload"])
        + "\n)",
        "# Each operation's retry safety: safe, recover-by-request-id or never.",
        "rules_operation_safety <- " + named([(k, v["safety"]) for k, v in retry["operations"].items()]),
        "# The operations that are not safe, found by method and path.",
        "rules_route_safety <- " + route_safety(spec, retry["operations"]),
        "",
        f"rules_request_id_tag <- {lit(rules['request_id']['tag'])}",
        f"rules_legacy_request_id_tags <- c({', '.join(lit(t) for t in rules['request_id']['legacy_tags'])})",
        "",
        f"rules_idempotency_key_tag <- {lit(rules['idempotency']['tag'])}",
        f"rules_idempotency_max_key_length <- {int(rules['idempotency']['max_key_length'])}L",
        "rules_idempotency_settle_ms <- c(min = {settle_min_ms}, max = {settle_max_ms})".format(**rules["idempotency"]),
        "",
        f"rules_truthy <- c({', '.join(lit(t) for t in config['truthy'])})",
        f"rules_falsy <- c({', '.join(lit(t) for t in config['falsy'])})",
        "rules_config_variables <- list(\n"
        + ",\n".join(f"  {v['name']} = {record({k: v.get(k) for k in FIELDS})}" for v in config["variables"])
        + "\n)",
        f"rules_databricks_config_file_env <- {lit(config['databricks']['config_file_env'])}",
        f"rules_databricks_config_file_default <- {lit(config['databricks']['config_file_default'])}",
        f"rules_databricks_default_profile <- {lit(config['databricks']['default_profile'])}",
        "rules_databricks_variables <- list(\n"
        + ",\n".join(f"  {record(d)}" for d in config["databricks"]["variables"])
        + "\n)",
        "",
        f"rules_batch_envelope_reserve_bytes <- {lit(rules['batch']['envelope_reserve_bytes'])}",
        "",
        "# The on-disk journal (docs/journal.md, openapi/journal.schema.json).",
        "rules_journal <- " + record(rules["journal"]),
        "",
        "# The write window's AIMD rule (congestion.R); windows scale with batch_concurrency.",
        "rules_congestion <- " + record({k: float(v) for k, v in rules["congestion"].items()}),
        "",
        "# Write slots shared by the processes of one host (host_slots.R).",
        "rules_host_slots <- " + record({k: v for k, v in rules["host_slots"].items() if k != "key_examples"}),
        "rules_host_slots_key_examples <- "
        + "c(" + ", ".join(lit(e["uri"]) + " = " + lit(e["key"]) for e in rules["host_slots"]["key_examples"]) + ")",
        "",
        "# From openapi/mlflow.yaml: every operation by operationId, for mlflow_call_operation().",
        "rules_operations <- " + operations(spec),
        "",
        "# From openapi/mlflow.yaml: body defaults the request helper fills in.",
        "rules_request_defaults <- " + request_defaults(spec),
        "",
    ]
    return "\n".join(out)


def main() -> int:
    OUT.write_text(render(), encoding="utf-8", newline="\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
