"""The contract suite: every scenario through every language's driver against one server.

Each language talks to the server through its own recording proxy, which checks every
exchange against openapi/mlflow.yaml. Then what each language wrote, every language reads.
Ends with a scenarios x languages table. CONTRACT_LANGS (default: python,java,r) names the
languages that must take part; a missing driver fails the suite rather than skipping it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contract.runner.engine import (
    HERE,
    ROOT,
    Driver,
    driver_command,
    StepOutcome,
    canonical,
    languages,
    load_scenarios,
    make_fixtures,
    run_scenario,
)
from tests.contract.runner.proxy import RecordingProxy
from tests.contract.runner.spec_check import SpecChecker
from tests.harness import MlflowServer

LANGS = languages()
SCENARIOS = load_scenarios()
CROSS_WRITE = yaml.safe_load((HERE / "cross" / "write.yaml").read_text())
CROSS_READ = yaml.safe_load((HERE / "cross" / "read.yaml").read_text())
RESULTS: dict[tuple[str, str], list[StepOutcome]] = {}
CROSS: dict[tuple[str, str], list[str]] = {}


def known_failures(lang: str) -> set[str]:
    path = HERE / "known_failures" / f"{lang}.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    checker = SpecChecker()
    fixtures = make_fixtures(Path(tempfile.mkdtemp(prefix="mlflowrest-fixtures-")))
    with MlflowServer() as server:
        print(f"\ncontract server ready in {server.start_seconds:.1f} s")
        proxies = {lang: RecordingProxy(server.url, checker, lang).__enter__() for lang in LANGS}
        drivers: dict[str, Driver] = {}
        try:
            for lang in LANGS:
                drivers[lang] = Driver(lang, driver_command(lang), {"MLFLOW_TRACKING_URI": proxies[lang].url})
            yield {"drivers": drivers, "proxies": proxies, "fixtures": str(fixtures), "server": server}
        finally:
            for d in drivers.values():
                d.close()
            for p in proxies.values():
                p.__exit__(None, None, None)
            shutil.rmtree(fixtures, ignore_errors=True)


def check(lang: str, scenario: dict[str, Any], outcomes: list[StepOutcome]) -> None:
    expected_failures = known_failures(lang)
    failed = {f"{scenario['id']}/{o.step}" for o in outcomes if o.problems}
    ran = {f"{scenario['id']}/{o.step}" for o in outcomes}
    stale = {k for k in expected_failures if k.startswith(scenario["id"] + "/") and k in ran and k not in failed}
    unexpected = [o for o in outcomes if o.problems and f"{scenario['id']}/{o.step}" not in expected_failures]
    missing = len(scenario["steps"]) - len(outcomes)
    message = [f"[{lang}] {scenario['id']}/{o.step}: {'; '.join(o.problems)}" for o in unexpected]
    message += [f"[{lang}] {k}: listed in known_failures/{lang}.txt but passes - remove it" for k in sorted(stale)]
    if missing and not unexpected:
        message.append(f"[{lang}] {scenario['id']}: {missing} steps not run")
    assert not message, "\n".join(message)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(world: dict[str, Any], scenario: dict[str, Any], lang: str) -> None:
    env = {"lang": lang, "fixtures": world["fixtures"]}
    outcomes = run_scenario(world["drivers"][lang], scenario, env)
    RESULTS[(scenario["id"], lang)] = outcomes
    check(lang, scenario, outcomes)


@pytest.mark.parametrize("writer", LANGS)
def test_cross_language(world: dict[str, Any], writer: str) -> None:
    """`writer` logs a run; every language (itself included) reads it back the same way."""
    drivers = world["drivers"]
    env = {"writer": writer, "fixtures": world["fixtures"]}
    wrote = run_scenario(drivers[writer], CROSS_WRITE, env)
    problems = [f"[{writer} writes] {o.step}: {'; '.join(o.problems)}" for o in wrote if o.problems]
    assert not problems and len(wrote) == len(CROSS_WRITE["steps"]), problems
    seen: dict[str, Any] = {}
    for reader in LANGS:
        outcomes = run_scenario(drivers[reader], CROSS_READ, dict(env))
        issues = [f"{o.step}: {'; '.join(o.problems)}" for o in outcomes if o.problems]
        seen[reader] = [canonical(o.answer.get("result")) for o in outcomes if o.answer]
        CROSS[(writer, reader)] = issues
    first = LANGS[0]
    for reader in LANGS[1:]:
        if seen[reader] != seen[first] and not CROSS[(writer, reader)]:
            CROSS[(writer, reader)] = [f"read differently from {first}"]
    failures = {f"{writer}->{r}": v for (w, r), v in CROSS.items() if w == writer and v}
    assert not failures, failures


def test_traffic_conforms_to_spec_and_summary(world: dict[str, Any]) -> None:
    """Runs last: the table, and the proxies' verdict on every exchange."""
    width = max(len(s["id"]) for s in SCENARIOS) + 2
    lines = ["", "contract scenarios x languages:", "scenario".ljust(width) + "".join(x.ljust(10) for x in LANGS)]
    for s in SCENARIOS:
        cells = []
        for lang in LANGS:
            outcomes = RESULTS.get((s["id"], lang))
            ok = outcomes is not None and len(outcomes) == len(s["steps"]) and not any(o.problems for o in outcomes)
            cells.append(("passed" if ok else "FAILED").ljust(10))
        lines.append(s["id"].ljust(width) + "".join(cells))
    lines.append("cross-language (writer -> reader): " + ", ".join(
        f"{w}->{r} {'passed' if not v else 'FAILED'}" for (w, r), v in sorted(CROSS.items())))  # fmt: skip
    steps = sum(len(s["steps"]) for s in SCENARIOS)
    lines.append(f"{len(SCENARIOS)} scenarios, {steps} steps per language, {len(CROSS)} cross-language pairs")
    bad = []
    for lang, proxy in world["proxies"].items():
        rec = proxy.recorder
        lines.append(f"proxy[{lang}]: {len(rec.exchanges)} exchanges validated against the spec, "
                     f"{len(rec.invalid)} invalid")  # fmt: skip
        bad += [f"[{lang}] {e.operation_id or '?'} {e.method} {e.path} -> {e.status}: {'; '.join(e.problems)}"
                for e in rec.invalid]  # fmt: skip
        if not rec.exchanges:
            bad.append(f"[{lang}] the proxy saw no traffic")
    print("\n".join(lines))
    assert not bad, "\n".join(bad[:50])
