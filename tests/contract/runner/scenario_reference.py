"""The step-format reference in tests/contract/README.md, written from scenario.schema.json
(`make generate-spec` runs this; `make check-generated` fails when the README is stale)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.contract.runner.scenario_file import CONTRACT, SCHEMA_FILE

README = CONTRACT / "README.md"
START = "<!-- generated:steps from tests/contract/scenario.schema.json -->"
END = "<!-- /generated:steps -->"


def _keys(node: dict[str, Any]) -> str:
    required = set(node.get("required", []))
    return ", ".join(f"`{k}`" if k in required else f"`{k}`?" for k in node["properties"])


def _rows(properties: dict[str, Any], required: list[str]) -> list[str]:
    return [f"| `{k}` | {'yes' if k in required else ''} | {v.get('description', '')} |" for k, v in properties.items()]


def render() -> str:
    defs: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())["$defs"]
    top: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    step = defs["step"]
    lines = [START, "A scenario file (unknown keys are refused at every level):", "",
             "| key | required | meaning |", "|---|---|---|", *_rows(top["properties"], top["required"]), "",
             "A step:", "", "| key | required | meaning |", "|---|---|---|",
             *_rows(step["properties"], step["required"]), "",
             "`expect` and `expect_error` exclude each other, as do `expect_error` and `save`. "
             "`expect_error` holds `error_code` (the spec's `x-mlflow-error-codes`) and/or `class` "
             "(`openapi/family-rules.yaml`'s classes).", "",
             "Operators, each alone in its object (`?`: optional):", "",
             "| operator | where | value |", "|---|---|---|"]  # fmt: skip
    matchers = defs["expected"]["then"]["then"]["properties"]
    for name, node in defs["generators"].items():
        value = _keys(node) if "properties" in node else "a fixture path"
        lines.append(f"| `{name}` | args, expect | {value}: {node['description']} |")
    for name, node in matchers.items():
        if name not in defs["generators"] and name != "$limit":
            lines.append(f"| `{name}` | expect | {node['description']} |")
    lines += [f"| `$limit` | anywhere, and for any count | {defs['limit_expression']['description']} |", "",
              defs["sdk_operations"]["description"] + " Any other `op` is a spec `operationId` whose `args` are its "
              "parameters and request-body fields; the driver calls the method named by `x-mlflowrest-resource` / "
              "`x-mlflowrest-method`.", "",
              "| op | args | result | Python / Java / R |", "|---|---|---|---|"]  # fmt: skip
    for op, node in defs["sdk_operations"].items():
        if op != "description":
            lines.append(f"| `{op}` | {_keys(node)} | {node['x-result']} | {node['x-entry-points']} |")
    return "\n".join([*lines, END])


def splice(text: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"{README} has no {START} ... {END} block")
    return re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: render(), text, flags=re.S)


if __name__ == "__main__":
    README.write_text(splice(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the step reference of {README.relative_to(CONTRACT.parents[1])}")
