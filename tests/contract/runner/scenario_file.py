"""Reading scenario files: checked against scenario.schema.json (completed from the spec), ids
unique, and `{$limit: <expression>}` resolved to the number, so every driver receives plain values.

A typo'd key must fail loudly: otherwise a step silently loses its expectation."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from tests.contract.runner.limits import resolve_limits

CONTRACT = Path(__file__).resolve().parents[1]
ROOT = CONTRACT.parents[1]
SCHEMA_FILE = CONTRACT / "scenario.schema.json"
FAMILY_SCHEMA_FILE = CONTRACT / "family.schema.json"


# What the runner gives every scenario (test_contract.py, test_artifact_backends.py); `writer` for cross/.
RUNNER_VARIABLES = frozenset({"lang", "fixtures", "writer"})
_USE = re.compile(r"\$\{(\w+)[\w.]*\}")


class ScenarioFileError(ValueError):
    """A scenario file the runner refuses; the message names the file, the scenario, the step and the key."""


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "mlflow.yaml").read_text())
    return loaded


def _operation_args(op: dict[str, Any]) -> dict[str, Any]:
    """An operation's arguments: its parameters and its JSON request body's fields, nothing else."""
    names = [p["name"] for p in op.get("parameters", [])]
    body = op.get("requestBody", {}).get("content", {})
    if body and "application/json" not in body:
        return {"type": "object"}  # a binary upload: the SDK's own arguments, not the spec's
    schema = body.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    names += list(schema.get("properties", {}))
    return {"type": "object", "additionalProperties": False,
            "properties": {n: {"$ref": "#/$defs/argument"} for n in names}}  # fmt: skip


@functools.cache
def schema() -> dict[str, Any]:
    """The committed schema plus what the spec and family-rules.yaml say: operations, their arguments,
    error codes and error classes."""
    full: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    defs = full["$defs"]
    sdk = {k: v for k, v in defs["sdk_operations"].items() if k != "description"}
    ops = {op["operationId"]: _operation_args(op) for item in spec()["paths"].values()
           for op in item.values() if isinstance(op, dict) and "operationId" in op}  # fmt: skip
    defs["args"] = {**ops, **{k: {**v, "properties": {n: {"$ref": "#/$defs/argument", **s}
                                                      for n, s in v["properties"].items()}}
                              for k, v in sdk.items()}}  # fmt: skip
    step = defs["step"]
    step["properties"]["op"]["enum"] = sorted(defs["args"])
    step["allOf"] = [{"if": {"required": ["op"], "properties": {"op": {"const": op}}},
                      "then": {"properties": {"args": {"$ref": f"#/$defs/args/{op}"}}}}
                     for op in sorted(defs["args"])]  # fmt: skip
    error = step["properties"]["expect_error"]["properties"]
    error["error_code"]["enum"] = sorted(spec()["x-mlflow-error-codes"])
    error["class"]["enum"] = error_classes()
    return full


@functools.cache
def family_rules() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "family-rules.yaml").read_text())
    return loaded


def error_classes() -> list[str]:
    return [c["name"] for c in family_rules()["errors"]["classes"]]


@functools.cache
def family_schema(kind: str) -> dict[str, Any]:
    """family.schema.json for config.yaml or errors.yaml, with family-rules.yaml's variables and classes."""
    full: dict[str, Any] = json.loads(FAMILY_SCHEMA_FILE.read_text())
    defs, config = full["$defs"], family_rules()["config"]
    envs = [v["env"] for v in config["variables"] + config["databricks"]["variables"]]
    defs["config"]["properties"]["env"]["propertyNames"] = {"enum": [*envs, config["databricks"]["config_file_env"]]}
    defs["config"]["properties"]["expect"]["propertyNames"] = {"enum": [v["name"] for v in config["variables"]]}
    defs["config"]["properties"]["expect_error"]["properties"]["class"]["enum"] = error_classes()
    defs["errors"]["properties"]["expect"]["properties"]["class"]["enum"] = error_classes()
    full["properties"]["cases"]["items"] = {"$ref": f"#/$defs/{kind}"}
    return full


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def _describe(doc: Any, error: ValidationError) -> str:
    """`scenario 'x', step 'y' (steps[3].args): unknown key 'z'`: what a reader fixing the file needs."""
    path = list(error.absolute_path)
    where = [f"scenario {doc.get('id')!r}" if isinstance(doc, dict) and "cases" not in doc else "the file"]
    if len(path) >= 2 and path[0] == "cases" and isinstance(doc, dict):
        case = doc["cases"][path[1]]
        where = [f"case {case.get('id')!r}" if isinstance(case, dict) else f"case {path[1]}"]
    if len(path) >= 2 and path[0] == "steps" and isinstance(doc, dict):
        step = doc["steps"][path[1]]
        where.append(f"step {step.get('id')!r}" if isinstance(step, dict) else f"step {path[1]}")
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        unknown = sorted(set(error.instance) - set(allowed))
        what = f"unknown key {', '.join(map(repr, unknown))} (allowed: {', '.join(sorted(allowed))})"
    elif error.validator == "enum" and path and path[-1] == "op":
        what = f"unknown op {error.instance!r}: neither a spec operationId nor an SDK operation"
    else:
        what = error.message[:300]
    return f"{', '.join(where)}{f' ({dotted})' if dotted else ''}: {what}"


def _schema_of(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = spec()["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _response_schema(op_id: str) -> dict[str, Any] | None:
    for item in spec()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == op_id:
                content = op.get("responses", {}).get("200", {}).get("content", {})
                schema = content.get("application/json", {}).get("schema")
                return _schema_of(schema) if schema else None
    return None  # an SDK operation: its result is the driver's, described in the README


def _unknown_fields(expected: Any, schema: dict[str, Any], where: str) -> list[str]:
    """Keys of an expectation (or a save path) that the operation's answer cannot have."""
    schema = _schema_of(schema)
    if isinstance(expected, list):
        items = schema.get("items")
        return [p for i, e in enumerate(expected) for p in _unknown_fields(e, items, f"{where}[{i}]")] if items else []
    if not isinstance(expected, dict):
        return []
    if "$contains" in expected and "items" in schema:
        return _unknown_fields(expected["$contains"], schema["items"], f"{where}.$contains")
    properties = schema.get("properties")
    if any(k.startswith("$") for k in expected) or not properties:
        return []  # a matcher, or a free-form object
    out = []
    for key, value in expected.items():
        if key not in properties:
            out.append(f"{where}: {key!r} is not a field of the answer (fields: {', '.join(sorted(properties))})")
        else:
            out += _unknown_fields(value, properties[key], f"{where}.{key}")
    return out


def _save_path(path: str) -> dict[str, Any]:
    """`run.info.run_id` as the expectation {run: {info: {run_id: ...}}}, numbers as list positions."""
    node: Any = None
    for part in reversed(path.split(".")):
        node = [node] if part.isdigit() else {part: node}
    return node if isinstance(node, dict) else {}


def check(doc: Any, name: str, given: Iterable[str] = RUNNER_VARIABLES) -> None:
    """Refuses a scenario that does not follow the schema, repeats a step id or uses a variable
    (`${name}`) that neither the runner (`given`) nor an earlier step's `save` provides."""
    problems = [_describe(doc, e) for e in sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))]
    if not problems:
        seen: set[str] = set()
        known = set(given)
        for step in doc["steps"]:
            if step["id"] in seen:
                problems.append(f"scenario {doc['id']!r}: step id {step['id']!r} repeated")
            seen.add(step["id"])
            used = set(_USE.findall(json.dumps([step.get("args"), step.get("expect")])))
            problems += [f"scenario {doc['id']!r}, step {step['id']!r}: ${{{v}}} is used before any step saves it"
                         for v in sorted(used - known)]  # fmt: skip
            known |= set(step.get("save") or {})
            answer = _response_schema(step["op"])
            if answer is not None:
                wants = [("expect", step.get("expect"))] + [(f"save.{k}", _save_path(v))
                                                            for k, v in (step.get("save") or {}).items()]  # fmt: skip
                problems += [f"scenario {doc['id']!r}, step {step['id']!r} ({p})"
                             for where, want in wants for p in _unknown_fields(want, answer, where)]  # fmt: skip
    if problems:
        raise ScenarioFileError(f"{name}: " + f"\n{name}: ".join(problems))


# ---- files ------------------------------------------------------------------------------------------
def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def load(path: Path, given: Iterable[str] = RUNNER_VARIABLES) -> dict[str, Any]:
    """One scenario file, checked and with its limits resolved; `given`: the variables it starts with."""
    name = _name(path)
    doc = yaml.safe_load(path.read_text())
    check(doc, name, given)
    resolved: dict[str, Any] = copy.deepcopy(doc)
    for step in resolved["steps"]:
        try:
            for key in ("args", "expect"):
                if key in step:
                    step[key] = resolve_limits(step[key], key)
        except ValueError as exc:
            raise ScenarioFileError(f"{name}: scenario {doc['id']!r}, step {step['id']!r}, {exc}") from None
    return resolved


def load_family(kind: str) -> list[dict[str, Any]]:
    """family/<kind>.yaml's cases (config or errors), checked against family.schema.json, ids unique."""
    path = CONTRACT / "family" / f"{kind}.yaml"
    doc = yaml.safe_load(path.read_text())
    validator = Draft202012Validator(family_schema(kind))
    problems = [_describe(doc, e) for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path))]
    ids = [c.get("id") for c in doc.get("cases", []) if isinstance(c, dict)] if isinstance(doc, dict) else []
    problems += [f"case id {i!r} repeated" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        raise ScenarioFileError(f"{_name(path)}: " + f"\n{_name(path)}: ".join(problems))
    cases: list[dict[str, Any]] = doc["cases"]
    return cases


def saved(scenario: dict[str, Any]) -> set[str]:
    """The variables a scenario's steps save (cross/read.yaml starts with cross/write.yaml's)."""
    return {name for step in scenario["steps"] for name in step.get("save") or {}}


def load_all(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every file, each checked, and no scenario id used twice (known failures name them)."""
    loaded: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    for path in paths:
        doc = load(path)
        if doc["id"] in owner:
            raise ScenarioFileError(f"{_name(path)}: scenario id {doc['id']!r} is already used by {owner[doc['id']]}")
        owner[doc["id"]] = _name(path)
        loaded.append(doc)
    return loaded


if __name__ == "__main__":  # make lint-contract: every file of the suite against its schema, in a second
    scenarios = load_all(sorted((CONTRACT / "scenarios").glob("*.yaml")))
    write = load(CONTRACT / "cross" / "write.yaml")
    scenarios += [write, load(CONTRACT / "cross" / "read.yaml", RUNNER_VARIABLES | saved(write))]
    cases = load_family("config") + load_family("errors")
    steps = sum(len(s["steps"]) for s in scenarios)
    print(f"contract files: {len(scenarios)} scenarios ({steps} steps) and {len(cases)} family cases "
          "follow their schemas")
