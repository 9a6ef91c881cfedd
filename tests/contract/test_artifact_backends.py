"""The artifact-backend axis: the artifact and registry scenarios in every language against a
server per backend (proxied, s3, azure, path, databricks; tests/harness/backends.py), shared by
the three languages, each behind its own recording proxy; then cross-language read-back and
interop with the official `mlflow` client (it writes, the SDKs read; an SDK writes, it reads).
Ends with a backend x language x scenario table.

CONTRACT_ARTIFACT_BACKENDS (default: all five) picks backends. Tolerated failures are lines
`<backend>:<case>` in known_failures/<lang>.txt, where <case> is `<scenario>` (the whole
scenario), `<scenario>/<step>`, `cross/<writer>-><reader>`, `interop/official-><lang>` or
`interop/<lang>->official`; a listed case that passes fails the run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.contract.runner.engine import (
    HERE,
    ROOT,
    Driver,
    StepOutcome,
    canonical,
    driver_command,
    generate,
    languages,
    load_cross,
    load_scenarios,
    make_fixtures,
    run_scenario,
)
from tests.contract.runner.proxy import RecordingProxy
from tests.contract.runner.spec_check import SpecChecker
from tests.harness.backends import BACKENDS, ArtifactBackend

LANGS = languages()
AXIS = [x for x in os.environ.get("CONTRACT_ARTIFACT_BACKENDS", ",".join(BACKENDS)).split(",") if x]
AXIS_SCENARIOS = ("artifacts", "registry", "nested-artifacts", "artifact-uris")
SCENARIOS = [s for s in load_scenarios() if s["id"] in AXIS_SCENARIOS]
CROSS_WRITE = load_cross("write")
CROSS_READ = load_cross("read")
OFFICIAL_TIMEOUT = 600  # one official-client command; logging a model imports most of mlflow

RESULTS: dict[tuple[str, str, str], list[StepOutcome]] = {}  # (backend, scenario, lang)
CASES: dict[tuple[str, str, str], list[str]] = {}  # (backend, lang, case) -> problems, for cross/interop
TRAFFIC: dict[tuple[str, str], tuple[int, int]] = {}  # (backend, lang) -> (exchanges, invalid)


def known(backend: str, lang: str) -> set[str]:
    path = HERE / "known_failures" / f"{lang}.txt"
    lines = [line.split("#")[0].strip() for line in (path.read_text().splitlines() if path.exists() else [])]
    return {line.split(":", 1)[1] for line in lines if line.startswith(f"{backend}:")}


def official(env: dict[str, str], *args: str) -> dict[str, Any]:
    """The official client in its own process (tests/harness/official_client.py)."""
    proc = subprocess.run([sys.executable, "-m", "tests.harness.official_client", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=OFFICIAL_TIMEOUT)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"official client {args[0]} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module", params=AXIS)
def world(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    kind = request.param
    checker = SpecChecker()
    fixtures = make_fixtures(Path(tempfile.mkdtemp(prefix="mlflowrest-fixtures-")))
    with ArtifactBackend(kind) as backend:
        assert backend.server is not None
        print(f"\nartifact backend {kind}: server ready in {backend.server.start_seconds:.1f} s")
        proxies = {lang: RecordingProxy(backend.url, checker, lang).__enter__() for lang in LANGS}
        drivers: dict[str, Driver] = {}
        try:
            for lang in LANGS:
                drivers[lang] = Driver(lang, driver_command(lang), backend.env_for(proxies[lang].url))
            yield {"backend": kind, "artifact_backend": backend, "drivers": drivers, "proxies": proxies,
                   "fixtures": str(fixtures), "official": {}}  # fmt: skip
        finally:
            for d in drivers.values():
                d.close()
            for p in proxies.values():
                p.__exit__(None, None, None)
            shutil.rmtree(fixtures, ignore_errors=True)


def verdict(backend: str, lang: str, case: str, failed: bool) -> list[str]:
    """A tolerated failure passes; a tolerated case that passes is stale and fails."""
    listed = case in known(backend, lang)
    if failed and not listed:
        return [f"[{backend}/{lang}] {case} failed"]
    if listed and not failed:
        return [f"[{backend}/{lang}] {case}: listed as {backend}:{case} in known_failures/{lang}.txt "
                "but passes - remove it"]  # fmt: skip
    return []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario_on_backend(world: dict[str, Any], scenario: dict[str, Any], lang: str) -> None:
    backend, sid = world["backend"], scenario["id"]
    outcomes = run_scenario(world["drivers"][lang], scenario, {"lang": lang, "fixtures": world["fixtures"]})
    RESULTS[(backend, sid, lang)] = outcomes
    listed = known(backend, lang)
    failed = [o for o in outcomes if o.problems]
    complete = len(outcomes) == len(scenario["steps"])
    if sid in listed:
        assert failed or not complete, f"[{backend}/{lang}] {sid}: listed as {backend}:{sid} but passes - remove it"
        return
    message = [f"[{backend}/{lang}] {sid}/{o.step}: {'; '.join(o.problems)}"
               for o in failed if f"{sid}/{o.step}" not in listed]  # fmt: skip
    ran = {f"{sid}/{o.step}" for o in outcomes}
    message += [f"[{backend}/{lang}] {k}: listed in known_failures/{lang}.txt but passes - remove it"
                for k in sorted(listed & ran) if k not in {f"{sid}/{o.step}" for o in failed}]  # fmt: skip
    if not complete and not failed:
        message.append(f"[{backend}/{lang}] {sid}: {len(scenario['steps']) - len(outcomes)} steps not run")
    assert not message, "\n".join(message)


@pytest.mark.parametrize("writer", LANGS)
def test_cross_language_on_backend(world: dict[str, Any], writer: str) -> None:
    """`writer` logs a run (with artifacts) on this backend; every language reads it back the same."""
    backend, drivers = world["backend"], world["drivers"]
    env = {"writer": writer, "fixtures": world["fixtures"]}
    wrote = run_scenario(drivers[writer], CROSS_WRITE, env)
    write_problems = [f"{o.step}: {'; '.join(o.problems)}" for o in wrote if o.problems]
    if len(wrote) != len(CROSS_WRITE["steps"]) and not write_problems:
        write_problems = ["the write stopped early"]
    seen: dict[str, Any] = {}
    for reader in LANGS:
        problems = [f"[{writer} writes] {p}" for p in write_problems]
        if not write_problems:
            outcomes = run_scenario(drivers[reader], CROSS_READ, dict(env))
            problems += [f"{o.step}: {'; '.join(o.problems)}" for o in outcomes if o.problems]
            seen[reader] = [canonical(o.answer.get("result")) for o in outcomes if o.answer]
        CASES[(backend, reader, f"cross/{writer}->{reader}")] = problems
    first = next(iter(seen), "")
    for reader, got in seen.items():
        case = (backend, reader, f"cross/{writer}->{reader}")
        if got != seen[first] and not CASES[case]:
            CASES[case] = [f"read differently from {first}"]
    message = []
    for reader in LANGS:
        problems = CASES[(backend, reader, f"cross/{writer}->{reader}")]
        message += [f"{m}: {problems}" if problems else m
                    for m in verdict(backend, reader, f"cross/{writer}->{reader}", bool(problems))]  # fmt: skip
    assert not message, "\n".join(message)


# The official client writes `registered_model_meta` into what it downloads from a models:/ URI
# (mlflow/store/artifact/models_artifact_repo.py); it is not a stored artifact, except on a
# shared path, where that download is the store itself. Compared without it on both sides.
CLIENT_SIDE_FILES = {"registered_model_meta"}


def client_side_removed(files: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in files.items() if k not in CLIENT_SIDE_FILES}


def official_writes(world: dict[str, Any]) -> dict[str, Any]:
    """Once per backend: the official client logs the fixture tree and a registered pyfunc model."""
    cache = world["official"]
    if not cache:
        env = world["artifact_backend"].env
        cache["run"] = official(env, "write", str(Path(world["fixtures"]) / "tree"))
        cache["model"] = official(env, "model")
        cache["model_files"] = client_side_removed(official(env, "read-uri", cache["model"]["model_uri"])["files"])
    return cache


@pytest.mark.parametrize("lang", LANGS)
def test_official_client_interop(world: dict[str, Any], lang: str) -> None:
    """The official client writes, `lang` reads (run files, models:/ by version, alias and id);
    `lang` writes, the official client reads."""
    backend, driver = world["backend"], world["drivers"][lang]
    fixtures = Path(world["fixtures"])
    wrote = official_writes(world)
    model = wrote["model"]
    reads = {
        "id": "downloadArtifacts", "args": {"run_id": wrote["run"]["run_id"], "path": "files"},
        "expect": generate("$files_of", "tree", {"fixtures": str(fixtures)}),
    }  # fmt: skip
    problems: list[str] = []
    answer = driver.call(reads["id"], reads["args"])
    if not answer.get("ok") or answer["result"].get("files") != reads["expect"]:
        problems.append(f"run files: {json.dumps(answer)[:300]}")
    driver.call("setRegisteredModelAlias", {"name": model["registered"], "alias": "champion", "version": "1"})
    for uri in (model["model_uri"], f"models:/{model['registered']}/1", f"models:/{model['registered']}@champion"):
        answer = driver.call("downloadArtifactUri", {"uri": uri})
        if not answer.get("ok") or client_side_removed(answer["result"].get("files") or {}) != wrote["model_files"]:
            problems.append(f"{uri}: {json.dumps(answer)[:300]}")
    CASES[(backend, lang, f"interop/official->{lang}")] = problems

    back: list[str] = []
    steps = [("createRun", {"experiment_id": "0", "run_name": f"for-official-{lang}"}),
             ("uploadArtifacts", {"local_path": str(fixtures / "layers"), "artifact_path": "files"})]  # fmt: skip
    run_id = None
    for op, args in steps:
        answer = driver.call(op, {**args, **({"run_id": run_id} if run_id else {})})
        if not answer.get("ok"):
            back.append(f"{op}: {json.dumps(answer.get('error'))[:300]}")
            break
        run_id = run_id or answer["result"]["run"]["info"]["run_id"]
    if not back:
        try:
            got = official(world["artifact_backend"].env, "read", str(run_id), "files")["files"]
            if got != generate("$files_of", "layers", {"fixtures": str(fixtures)}):
                back.append(f"official read {got}")
        except RuntimeError as e:
            back.append(str(e)[-500:])
    CASES[(backend, lang, f"interop/{lang}->official")] = back
    message = verdict(backend, lang, f"interop/official->{lang}", bool(problems))
    message += verdict(backend, lang, f"interop/{lang}->official", bool(back))
    assert not message, "\n".join(message + problems + back)


def test_backend_traffic_conforms_and_summary(world: dict[str, Any]) -> None:
    """Runs last for each backend: every exchange the SDKs made conforms to the spec (the
    Databricks credential routes included); after the last backend, the table."""
    backend = world["backend"]
    bad = []
    for lang, proxy in world["proxies"].items():
        rec = proxy.recorder
        TRAFFIC[(backend, lang)] = (len(rec.exchanges), len(rec.invalid))
        bad += [f"[{backend}/{lang}] {e.operation_id or '?'} {e.method} {e.path} -> {e.status}: {'; '.join(e.problems)}"
                for e in rec.invalid]  # fmt: skip
    if backend == AXIS[-1]:
        print(summary())
    assert not bad, "\n".join(bad[:50])


def cell(ok: bool, listed: bool) -> str:
    return ("passed" if ok else "known-fail" if listed else "FAILED").ljust(12)


def summary() -> str:
    width = max([len(s["id"]) for s in SCENARIOS] + [len("interop official->sdk")]) + 4
    lines = ["", "artifact backend x language x scenario:"]
    for backend in AXIS:
        lines.append(f"[{backend}]".ljust(width) + "".join(lang.ljust(12) for lang in LANGS))
        for s in SCENARIOS:
            cells = []
            for lang in LANGS:
                outcomes = RESULTS.get((backend, s["id"], lang))
                ok = outcomes is not None and len(outcomes) == len(s["steps"]) and not any(o.problems for o in outcomes)
                listed = s["id"] in known(backend, lang) or any(
                    f"{s['id']}/{o.step}" in known(backend, lang) for o in outcomes or [])  # fmt: skip
                cells.append(cell(ok, listed))
            lines.append(("  " + s["id"]).ljust(width) + "".join(cells))
        for label, case in (("interop official->sdk", "interop/official->{lang}"),
                            ("interop sdk->official", "interop/{lang}->official")):  # fmt: skip
            cells = []
            for lang in LANGS:
                key = (backend, lang, case.format(lang=lang))
                cells.append(cell(key in CASES and not CASES[key], key[2] in known(backend, lang)))
            lines.append(("  " + label).ljust(width) + "".join(cells))
        pairs = sorted((k[2].removeprefix("cross/"), not v, k[2] in known(backend, k[1]))
                       for k, v in CASES.items() if k[0] == backend and k[2].startswith("cross/"))  # fmt: skip
        lines.append("  cross (writer->reader): "
                     + ", ".join(f"{p} {cell(ok, listed).strip()}" for p, ok, listed in pairs))  # fmt: skip
        lines.append("  spec-checked exchanges: " + ", ".join(
            f"{lang} {TRAFFIC.get((backend, lang), (0, 0))[0]} ({TRAFFIC.get((backend, lang), (0, 0))[1]} invalid)"
            for lang in LANGS))  # fmt: skip
    return "\n".join(lines)
