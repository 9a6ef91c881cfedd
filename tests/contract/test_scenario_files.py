"""The suite's own format (issue 17, item 6): every scenario file follows scenario.schema.json, ids are
unique, limits come from the spec; and the runner refuses a broken file, naming file, scenario and key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contract.runner import scenario_file, scenario_reference
from tests.contract.runner.engine import HERE, load_cross, load_scenarios
from tests.contract.runner.limits import evaluate, limits
from tests.contract.runner.scenario_file import ScenarioFileError

GOOD: dict[str, Any] = {"id": "tiny", "description": "a valid scenario to break",
        "steps": [{"id": "run", "op": "createRun", "args": {"experiment_id": "0"},
                   "save": {"run_id": "run.info.run_id"}},
                  {"id": "get", "op": "getRun", "args": {"run_id": "${run_id}"},
                   "expect": {"run": {"data": {"params": {"$len": 0}}}}}]}  # fmt: skip


def write(tmp_path: Path, doc: dict[str, Any], name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def broken(tmp_path: Path, edit: str, value: Any) -> str:
    """Loads GOOD with one edit (`steps.1.expect` = value) and returns the runner's refusal."""
    doc: Any = yaml.safe_load(yaml.safe_dump(GOOD))
    *parents, last = edit.split(".")
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    with pytest.raises(ScenarioFileError) as refused:
        scenario_file.load(write(tmp_path, doc))
    return str(refused.value)


def test_every_committed_file_loads() -> None:
    scenarios = load_scenarios()
    cross = [load_cross("write"), load_cross("read")]
    ids = [s["id"] for s in scenarios + cross]
    assert len(ids) == len(set(ids)) and len(scenarios) >= 10
    assert all(len({st["id"] for st in s["steps"]}) == len(s["steps"]) for s in scenarios + cross)


def test_a_valid_file_loads(tmp_path: Path) -> None:
    assert scenario_file.load(write(tmp_path, GOOD))["steps"][1]["expect"] == GOOD["steps"][1]["expect"]


@pytest.mark.parametrize(("edit", "value", "names"), [
    ("steps.1.expcet", {"run": {}}, ["step 'get'", "unknown key 'expcet'"]),        # a typo'd step key
    ("descripton", "x", ["unknown key 'descripton'"]),                             # a typo'd top-level key
    ("steps.0.args.experiment_idd", "0", ["step 'run'", "steps[0].args", "unknown key 'experiment_idd'"]),
    ("steps.1.expect.run.data.params", {"$lenn": 0}, ["step 'get'", "unknown key '$lenn'"]),  # a typo'd matcher
    ("steps.1.op", "getRunn", ["unknown op 'getRunn'"]),
    ("steps.1.expect_error", {"error_code": "NOT_A_CODE"}, ["step 'get'", "NOT_A_CODE"]),
    ("steps.1.expect_error", {"klass": "ApiError"}, ["unknown key 'klass'"]),
    ("steps.0.args.tags", {"$tags": {"count": 3, "cnt": 1}}, ["unknown key 'cnt'"]),  # a generator's fields
    ("steps.1.id", "run", ["step id 'run' repeated"]),
    ("steps.1.args.run_id", "${run_idd}", ["step 'get'", "${run_idd} is used before any step saves it"]),
    ("steps.1.expect.run", {"dataa": {}}, ["step 'get'", "expect.run: 'dataa' is not a field of the answer"]),
    ("steps.0.save.run_id", "run.infoo.run_id", ["step 'run'", "save.run_id.run: 'infoo' is not a field"]),
    ("steps.0.args.run_name", {"$string": {"length": {"$limit": "max_param_value_lenght + 1"}}},
     ["step 'run'", "args.run_name.$string.length", "'max_param_value_lenght' is not one of the spec's"]),
    ("steps.0.args.run_name", {"$string": {"length": {"$limit": "__import__('os')"}}}, ["step 'run'"]),
])  # fmt: skip
def test_a_broken_file_is_refused_naming_file_scenario_and_key(tmp_path: Path, edit: str, value: Any,
                                                                names: list[str]) -> None:  # fmt: skip
    message = broken(tmp_path, edit, value)
    for part in ["tiny.yaml", "scenario 'tiny'", *names]:
        assert part in message, message


def test_expect_and_expect_error_together_are_refused(tmp_path: Path) -> None:
    message = broken(tmp_path, "steps.1.expect_error", {"class": "ApiError"})
    assert "tiny.yaml" in message and "step 'get'" in message


def test_scenario_ids_are_unique_across_files(tmp_path: Path) -> None:
    first, second = write(tmp_path, GOOD, "a.yaml"), write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ScenarioFileError, match=r"b\.yaml: scenario id 'tiny' is already used by .*a\.yaml"):
        scenario_file.load_all([first, second])


def test_limits_resolve_from_the_spec_before_any_driver_sees_them(tmp_path: Path) -> None:
    spec_limits = yaml.safe_load((HERE.parents[1] / "openapi" / "mlflow.yaml").read_text())["x-mlflow-limits"]
    assert evaluate("max_param_value_length + 1") == spec_limits["max_param_value_length"] + 1
    assert evaluate("(max_metrics_per_batch * 2 + 600) // 4") == (spec_limits["max_metrics_per_batch"] * 2 + 600) // 4
    doc: Any = yaml.safe_load(yaml.safe_dump(GOOD))
    doc["steps"][0]["args"]["run_name"] = {"$string": {"length": {"$limit": "max_param_value_length + 1"}}}
    loaded = scenario_file.load(write(tmp_path, doc))
    assert loaded["steps"][0]["args"]["run_name"] == {"$string": {"length": spec_limits["max_param_value_length"] + 1}}


def test_no_committed_scenario_writes_a_server_limit_as_a_literal() -> None:
    """A number equal to a limit or one past it, typed as a literal, should be a `$limit` instead."""
    known = {v for v in limits().values() if v >= 100}
    suspicious = known | {v + 1 for v in known} | {v - 1 for v in known}
    found = []
    for path in sorted((HERE / "scenarios").glob("*.yaml")) + sorted((HERE / "cross").glob("*.yaml")):
        found += [f"{path.name}: {m}" for m in re.findall(r"(?<![\w.$])\d{3,}(?![\w.])", path.read_text())
                  if int(m) in suspicious]  # fmt: skip
    assert not found, found


def test_the_readme_reference_is_the_schema() -> None:
    readme = scenario_reference.README.read_text(encoding="utf-8")
    assert scenario_reference.splice(readme) == readme, "run `make generate` (tests/contract/README.md is stale)"


def test_known_failures_name_existing_steps() -> None:
    """A listed case whose scenario or step was renamed never runs, so it could never be reported stale."""
    steps = {f"{s['id']}/{st['id']}" for s in load_scenarios() for st in s["steps"]}
    scenarios = {s["id"] for s in load_scenarios()}
    unknown = []
    for path in sorted((HERE / "known_failures").glob("*.txt")):
        for line in path.read_text().splitlines():
            case = line.split("#")[0].strip()
            if not case or case.split("/")[0] in ("faults", "bad_input"):
                continue
            name = case.split(":", 1)[-1]  # <backend>:<scenario>[/<step>] on the artifact axis
            if name.split("/")[0] in ("cross", "interop"):
                continue
            if name not in steps and name not in scenarios:
                unknown.append(f"{path.name}: {case}")
    assert not unknown, f"known failures naming no scenario or step: {unknown}"


@pytest.mark.parametrize(("kind", "edit", "names"), [
    ("config", lambda c: c.update(expcet=c.pop("expect")), ["case 'defaults'", "'expcet'"]),
    ("config", lambda c: c["env"].update(MLFLOW_TRACKING_URL="x"), ["case 'defaults'", "MLFLOW_TRACKING_URL"]),
    ("config", lambda c: c["expect"].update(max_retry=7), ["case 'defaults'", "max_retry"]),
    ("errors", lambda c: c["expect"].update(klass="ApiError"), ["case 'json-404'", "unknown key 'klass'"]),
    ("errors", lambda c: c.update(html="<p>both</p>"), ["case 'json-404'"]),
])  # fmt: skip
def test_a_broken_family_case_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
                                         edit: Any, names: list[str]) -> None:  # fmt: skip
    """family/config.yaml and errors.yaml follow family.schema.json: variables, fields and classes
    come from openapi/family-rules.yaml, so a typo'd one fails instead of testing nothing."""
    doc = yaml.safe_load((HERE / "family" / f"{kind}.yaml").read_text())
    edit(doc["cases"][0])
    (tmp_path / "family").mkdir()
    (tmp_path / "family" / f"{kind}.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setattr(scenario_file, "CONTRACT", tmp_path)
    with pytest.raises(ScenarioFileError) as refused:
        scenario_file.load_family(kind)
    for part in [f"{kind}.yaml", *names]:
        assert part in str(refused.value), str(refused.value)
