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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.contract.runner.engine import (
    HERE,
    Driver,
    StepOutcome,
    canonical,
    driver_command,
    languages,
    load_cross,
    load_scenarios,
    make_fixtures,
    run_scenario,
)
from tests.contract.runner.proxy import RecordingProxy
from tests.contract.runner.spec_check import SpecChecker
from tests.harness import MlflowServer
from tests.harness.postgres import PostgresServer

LANGS = languages()
# The same suite against the embedded default (SQLite) and a real PostgreSQL store.
BACKENDS = [x for x in os.environ.get("CONTRACT_BACKENDS", "sqlite,postgres").split(",") if x]
SCENARIOS = load_scenarios()
CROSS_WRITE = load_cross("write")
CROSS_READ = load_cross("read")
RESULTS: dict[tuple[str, str, str], list[StepOutcome]] = {}  # (backend, scenario, lang)
CROSS: dict[tuple[str, str, str], list[str]] = {}  # (backend, writer, reader)
PROXIES: dict[str, dict[str, Any]] = {}  # backend -> lang -> proxy


def known_failures(lang: str) -> set[str]:
    path = HERE / "known_failures" / f"{lang}.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


@contextmanager
def backend_store(backend: str) -> Iterator[str | None]:
    if backend == "postgres":
        with PostgresServer() as pg:
            yield pg.uri
    else:
        yield None  # the harness's fresh SQLite file


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    backend = request.param
    checker = SpecChecker()
    fixtures = make_fixtures(Path(tempfile.mkdtemp(prefix="mlflowrest-fixtures-")))
    with backend_store(backend) as store, MlflowServer(backend_store_uri=store) as server:
        print(f"\ncontract server ({backend}) ready in {server.start_seconds:.1f} s")
        proxies = {lang: RecordingProxy(server.url, checker, lang).__enter__() for lang in LANGS}
        drivers: dict[str, Driver] = {}
        try:
            for lang in LANGS:
                drivers[lang] = Driver(lang, driver_command(lang), {"MLFLOW_TRACKING_URI": proxies[lang].url})
            PROXIES[backend] = proxies
            yield {"backend": backend, "drivers": drivers, "proxies": proxies, "fixtures": str(fixtures),
                   "server": server}  # fmt: skip
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
    RESULTS[(world["backend"], scenario["id"], lang)] = outcomes
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
        CROSS[(world["backend"], writer, reader)] = issues
    first = LANGS[0]
    for reader in LANGS[1:]:
        if seen[reader] != seen[first] and not CROSS[(world["backend"], writer, reader)]:
            CROSS[(world["backend"], writer, reader)] = [f"read differently from {first}"]
    failures = {f"{writer}->{r}": v for (b, w, r), v in CROSS.items() if b == world["backend"] and w == writer and v}
    assert not failures, failures


def test_traffic_conforms_to_spec_and_summary(world: dict[str, Any]) -> None:
    """Runs last for each backend: the proxies' verdict on every exchange, and the table."""
    backend = world["backend"]
    bad = []
    for lang, proxy in world["proxies"].items():
        rec = proxy.recorder
        bad += [f"[{backend}/{lang}] {e.operation_id or '?'} {e.method} {e.path} -> {e.status}: {'; '.join(e.problems)}"
                for e in rec.invalid]  # fmt: skip
        if not rec.exchanges:
            bad.append(f"[{backend}/{lang}] the proxy saw no traffic")
    if backend == BACKENDS[-1]:
        print(summary())
    assert not bad, "\n".join(bad[:50])


def summary() -> str:
    width = max(len(s["id"]) for s in SCENARIOS) + 2
    columns = [(b, lang) for b in BACKENDS for lang in LANGS]
    lines = ["", "contract scenarios x languages (per backend store):",
             "scenario".ljust(width) + "".join(f"{lang}/{b}".ljust(16) for b, lang in columns)]  # fmt: skip
    for s in SCENARIOS:
        cells = []
        for b, lang in columns:
            outcomes = RESULTS.get((b, s["id"], lang))
            ok = outcomes is not None and len(outcomes) == len(s["steps"]) and not any(o.problems for o in outcomes)
            cells.append(("passed" if ok else "FAILED").ljust(16))
        lines.append(s["id"].ljust(width) + "".join(cells))
    for b in BACKENDS:
        pairs = sorted((w, r, v) for (bb, w, r), v in CROSS.items() if bb == b)
        lines.append(f"cross-language on {b} (writer -> reader): "
                     + ", ".join(f"{w}->{r} {'passed' if not v else 'FAILED'}" for w, r, v in pairs))  # fmt: skip
    steps = sum(len(s["steps"]) for s in SCENARIOS)
    lines.append(f"{len(SCENARIOS)} scenarios, {steps} steps per language and backend, "
                 f"{len(CROSS)} cross-language pairs")  # fmt: skip
    for b, proxies in PROXIES.items():
        for lang, proxy in proxies.items():
            rec = proxy.recorder
            lines.append(f"proxy[{b}/{lang}]: {len(rec.exchanges)} exchanges validated against the spec, "
                         f"{len(rec.invalid)} invalid")  # fmt: skip
    return "\n".join(lines)
