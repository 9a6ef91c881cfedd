"""Load and check openapi/family-rules.yaml; write its tables into README.md.

The SDK generators (python/codegen, java/codegen, r/codegen) import `load()`, so a broken
data file fails `make generate` once, with the reason, before any SDK is written.
Run directly (`make generate-spec` does) to rewrite the README's generated tables.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "openapi" / "family-rules.yaml"
SPEC = ROOT / "openapi" / "mlflow.yaml"
README = ROOT / "README.md"
SAFETY = ("safe", "recover-by-request-id", "never")


class RulesError(ValueError):
    pass


def spec_operation_ids(spec: dict[str, Any]) -> set[str]:
    return {op["operationId"] for item in spec["paths"].values() for op in item.values()}


def load(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The rules, checked against the spec; each operation's safety normalised to a dict."""
    rules: dict[str, Any] = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    spec = spec if spec is not None else yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    errors = rules["errors"]
    names = [c["name"] for c in errors["classes"]]
    for table in ("by_error_code", "by_status"):
        unknown = set(errors[table].values()) - set(names)
        if unknown:
            raise RulesError(f"errors.{table} names unknown classes {sorted(unknown)}")
    unknown_codes = set(errors["by_error_code"]) - set(spec["x-mlflow-error-codes"])
    if unknown_codes:
        raise RulesError(f"errors.by_error_code: codes the server does not have: {sorted(unknown_codes)}")
    ops: dict[str, Any] = {}
    for op_id, value in rules["retry"]["operations"].items():
        entry = {"safety": value} if isinstance(value, str) else dict(value)
        if entry["safety"] not in SAFETY:
            raise RulesError(f"retry.operations.{op_id}: safety {entry['safety']!r} is not one of {SAFETY}")
        if entry["safety"] != "safe" and not entry.get("why"):
            raise RulesError(f"retry.operations.{op_id}: a {entry['safety']} operation says why")
        ops[op_id] = entry
    in_spec = spec_operation_ids(spec)
    missing, extra = in_spec - set(ops), set(ops) - in_spec
    if missing or extra:
        raise RulesError(
            f"retry.operations must classify exactly the spec's operations: missing {sorted(missing)}, "
            f"not in the spec {sorted(extra)}"
        )
    recover = {k for k, v in ops.items() if v["safety"] == "recover-by-request-id"}
    lookups = set(rules["request_id"]["lookup"])
    if recover != lookups:
        raise RulesError(
            f"request_id.lookup must cover exactly the recover-by-request-id operations: {sorted(recover ^ lookups)}"
        )
    rules["retry"]["operations"] = dict(sorted(ops.items()))
    c = rules["congestion"]
    windows_ok = 0 < c["initial_window_per_batch_concurrency"] <= c["max_window_per_batch_concurrency"] and (
        c["min_window"] <= c["window_cap"]
    )
    if not (0 < c["decrease_factor"] < 1 and c["increase"] > 0 and c["min_window"] >= 1 and windows_ok):
        raise RulesError(f"congestion: need 0 < decrease_factor < 1, increase > 0, 1 <= min_window <= windows: {c}")
    h = rules["host_slots"]
    if not (0 < h["first_poll_ms"] <= min(h["max_poll_ms"], h["queue_poll_ms"]) and 8 <= h["key_hex_chars"] <= 64):
        raise RulesError(
            f"host_slots: need 0 < first_poll_ms <= max_poll_ms, queue_poll_ms and 8 <= key_hex_chars <= 64: {h}"
        )
    slots = next(v for v in rules["config"]["variables"] if v["name"] == "host_write_slots")
    if slots["default"] > c["window_cap"]:
        raise RulesError("host_write_slots' default must not exceed congestion.window_cap (one worker's pool)")
    return rules


# ---- README tables ---------------------------------------------------------------------------
def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def errors_table(rules: dict[str, Any]) -> list[str]:
    lines = ["| error (Python / Java class, R condition) | when |", "|---|---|"]
    for c in rules["errors"]["classes"]:
        lines.append(f"| `{c['name']}` / `{c['r']}` | {_cell(c['when'])} |")
    return lines


def decisions_table(rules: dict[str, Any]) -> list[str]:
    lines = ["| rule | Python, Java and R | why |", "|---|---|---|"]
    for d in rules["decisions"]:
        lines.append(f"| {_cell(d['rule'])} | {_cell(d['value'])} | {_cell(d['why'])} |")
    return lines


def config_table(rules: dict[str, Any]) -> list[str]:
    lines = ["| variable | type | default | secret |", "|---|---|---|---|"]
    for v in rules["config"]["variables"]:
        default = "" if v.get("default") is None else f"`{str(v['default']).lower()}`"
        kind = v["type"] + (": " + " / ".join(f"`{x}`" for x in v["values"]) if "values" in v else "")
        lines.append(f"| `{v['env']}` | {kind} | {default} | {'yes' if v.get('secret') else ''} |")
    return lines


def retry_table(rules: dict[str, Any]) -> list[str]:
    retry = rules["retry"]
    lines = ["| answer | retried | why |", "|---|---|---|"]
    lines.append(f"| no answer, {', '.join(str(s) for s in retry['statuses'])} | yes | transient |")
    for o in retry["overload"]:
        status = o["status"] if o["status"] is not None else "any status"
        what = " ".join(str(w) for w in (status, o["error_code"], o["contains"] and f"“{o['contains']}”") if w)
        retried = "yes (overload, up to overload_timeout)" if o["outlasts_max_retries"] else "yes (overload)"
        lines.append(f"| {_cell(what)} | {retried} | {_cell(' '.join(o['why'].split()))} |")
    by_safety: dict[str, list[str]] = {}
    for op_id, entry in retry["operations"].items():
        by_safety.setdefault(entry["safety"], []).append(op_id)
    lines += ["", "| after an ambiguous failure | operations |", "|---|---|"]
    lines.append(f"| safe: resent | the other {len(by_safety.get('safe', []))} operations |")
    for safety in ("recover-by-request-id", "never"):
        ops = ", ".join(f"`{o}`" for o in by_safety.get(safety, []))
        lines.append(f"| {safety} | {ops} |")
    return lines


TABLES = {"errors": errors_table, "decisions": decisions_table, "config": config_table, "retry": retry_table}


def render_readme(text: str, rules: dict[str, Any]) -> str:
    for name, table in TABLES.items():
        start, end = f"<!-- generated:{name} from openapi/family-rules.yaml -->", f"<!-- /generated:{name} -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        found = pattern.search(text)
        if not found:
            raise RulesError(f"README.md has no {start} ... {end} block")
        text = text[: found.start()] + "\n".join([start, *table(rules), end]) + text[found.end() :]
    return text


def main() -> int:
    rules = load()
    README.write_text(render_readme(README.read_text(encoding="utf-8"), rules), encoding="utf-8")
    count = len(rules["retry"]["operations"])
    print(f"wrote README.md tables from {RULES.relative_to(ROOT)}: {count} operations classified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
