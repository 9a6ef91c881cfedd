"""The background logger's promises in every language, against a live server.

- A batch holding a point the server refuses (timestamp -1) among good ones: the good ones are
  stored, the run's end raises a typed error naming the refused one, nothing hangs.
- The run is deleted mid-training: the loop ends with a typed error, not a resend loop.
- A program that logs in the background and exits without ending its run: every point stored and
  the run FINISHED; when it exits by an uncaught error, FAILED.

Every wait is bounded (a hung driver or program is killed and counted as a failure). A case that
an SDK cannot pass yet is listed in tests/contract/known_failures/<lang>.txt as `faults/<case>`;
a listed case that passes fails, so the lists cannot go stale."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlflowrest import MlflowClient
from tests.contract.runner.engine import ROOT, Driver, driver_command, family_class, java_program, languages
from tests.harness import MlflowServer

LANGS = languages()
EXIT = Path(__file__).resolve().parent / "exit"
KNOWN = ROOT / "tests" / "contract" / "known_failures"
BOUND = 240.0  # seconds any one case may take before it counts as hung
# Generous per-request timeouts: on a loaded CI machine a 1000-point batch can take seconds.
DRIVER_ENV = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "60", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
              "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.1", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1",
              "MLFLOWREST_FLUSH_TIMEOUT": "180"}  # fmt: skip
EXIT_POINTS = 3000
SUMMARY: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module")
def server() -> Iterator[MlflowServer]:
    with MlflowServer() as s:
        print(f"\nlogger-suite server ready in {s.start_seconds:.1f} s")
        yield s


def known(lang: str) -> set[str]:
    path = KNOWN / f"{lang}.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip().startswith("faults/")}


def verdict(lang: str, case: str, problems: list[str]) -> None:
    listed = f"faults/{case}" in known(lang)
    SUMMARY.setdefault(lang, {})[case] = "ok" if not problems else "known failure" if listed else "FAILED"
    if listed and not problems:
        pytest.fail(f"[{lang}] faults/{case} passes but is listed in known_failures/{lang}.txt: remove it")
    if problems and not listed:
        pytest.fail(f"[{lang}] {case}: " + "; ".join(problems))


def bounded_call(driver: Driver, op: str, args: dict[str, Any]) -> dict[str, Any]:
    """The driver's answer; when it gave none within BOUND (then it is killed) or died, an error
    answer saying so."""
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["answer"] = driver.call(op, args)
        except RuntimeError as exc:  # the driver died or was killed
            box["died"] = str(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(BOUND)
    if worker.is_alive():
        driver.proc.kill()
        worker.join(10)
        return {"ok": False, "hung": True, "error": {"message": f"no answer within {BOUND:.0f} s (hung)"}}
    return box.get("answer") or {"ok": False, "error": {"message": f"the driver died: {box.get('died')}"[:500]}}


def history(client: MlflowClient, run_id: str) -> list[int]:
    return [m.step or 0 for m in client.metrics.get_history(run_id=run_id, metric_key="loss", max_results=25000)]


def the_run(client: MlflowClient, experiment_id: str) -> Any:
    runs = client.runs.search(experiment_ids=[experiment_id], run_view_type="ALL").to_list()
    return runs[0] if len(runs) == 1 else None


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_point_is_reported_and_the_rest_stored(server: MlflowServer, lang: str) -> None:
    direct = MlflowClient(server.url)
    exp_id = str(direct.experiments.create(name=f"logger-refused-{lang}").experiment_id)
    driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": server.url})
    try:
        args = {"experiment_id": exp_id, "key": "loss", "count": 2500, "refuse_step": 1234}
        answer = bounded_call(driver, "backgroundLog", args)
    finally:
        driver.close()
    problems = []
    run = the_run(direct, exp_id)
    if answer.get("ok"):
        problems.append("the refused point raised nothing")
    elif "class" not in answer["error"]:
        problems.append(answer["error"]["message"])
    else:
        error = answer["error"]
        if family_class(error.get("class")) != "InvalidParameterValueError":
            problems.append(f"error class {error.get('class')}, expected InvalidParameterValueError")
        if "1234" not in str(error.get("message")):
            problems.append(f"the error does not name the refused point (step 1234): {error.get('message')!r}"[:300])
    stored = sorted(history(direct, run.info.run_id)) if run else []
    if stored != [s for s in range(2500) if s != 1234]:
        problems.append(f"{len(stored)} of the 2499 good points stored")
    verdict(lang, "logger-refused-point", problems)


@pytest.mark.parametrize("lang", LANGS)
def test_a_run_deleted_mid_training_ends_with_a_typed_error(server: MlflowServer, lang: str) -> None:
    direct = MlflowClient(server.url)
    exp_id = str(direct.experiments.create(name=f"logger-deleted-{lang}").experiment_id)
    driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": server.url})
    box: dict[str, Any] = {}
    # 600 points 25 ms apart: about 15 s of training, the run deleted once its first points land.
    worker = threading.Thread(target=lambda: box.update(answer=bounded_call(driver, "backgroundLog", {
        "experiment_id": exp_id, "key": "loss", "count": 600, "pause_ms": 25})), daemon=True)  # fmt: skip
    problems = []
    try:
        worker.start()
        deadline = time.monotonic() + 60
        run = None
        while time.monotonic() < deadline and not (run and history(direct, run.info.run_id)):
            time.sleep(0.2)
            run = the_run(direct, exp_id)
        if run is None:
            problems.append("no point arrived within 60 s")
        else:
            direct.runs.delete(run_id=run.info.run_id)
        worker.join(BOUND + 15)
    finally:
        driver.close()
    answer = box.get("answer") or {"ok": False, "error": {"message": "no answer"}}
    if answer.get("ok"):
        problems.append("logging into a deleted run raised nothing")
    elif "class" not in answer["error"]:
        problems.append(answer["error"]["message"])
    elif family_class(answer["error"].get("class")) not in ("InvalidParameterValueError", "ResourceDoesNotExistError"):
        problems.append(f"error class {answer['error'].get('class')}: not the server's typed refusal")
    verdict(lang, "logger-deleted-run", problems)


def exit_command(lang: str, *args: str) -> list[str]:
    if lang == "python":
        return [str(ROOT / ".venv" / "bin" / "python"), str(EXIT / "exit_python.py"), *args]
    if lang == "java":
        jar = ROOT / "java" / "example" / "target" / "mlflowrest-example.jar"
        return [*java_program(EXIT / "Exit.java", jar), *args]
    if lang == "r":
        return ["Rscript", "--vanilla", str(EXIT / "exit.R"), *args]
    raise ValueError(lang)


@pytest.mark.parametrize("mode", ["finish", "raise"])
@pytest.mark.parametrize("lang", LANGS)
def test_a_program_that_never_ends_its_run(server: MlflowServer, lang: str, mode: str) -> None:
    direct = MlflowClient(server.url)
    exp_id = str(direct.experiments.create(name=f"logger-exit-{mode}-{lang}").experiment_id)
    env = {**os.environ, **DRIVER_ENV, "MLFLOW_TRACKING_URI": server.url, "R_LIBS": str(ROOT / ".work" / "rlib")}
    problems = []
    try:
        done = subprocess.run(exit_command(lang, exp_id, str(EXIT_POINTS), mode), check=False, env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=BOUND)  # fmt: skip
        if (done.returncode != 0) != (mode == "raise"):
            problems.append(f"exit status {done.returncode}: {done.stderr[-300:]}")
    except subprocess.TimeoutExpired:
        problems.append(f"still running after {BOUND:.0f} s")
    run = the_run(direct, exp_id)
    if run is None:
        problems.append("no run")
    else:
        stored = len(set(history(direct, run.info.run_id)))
        want = "FINISHED" if mode == "finish" else "FAILED"
        if stored != EXIT_POINTS:
            problems.append(f"{stored} of {EXIT_POINTS} points stored")
        if run.info.status != want:
            problems.append(f"run {run.info.status}, expected {want}")
    verdict(lang, f"exit-{mode}", problems)


def test_zz_report() -> None:
    """The logger rows of the fault table, per language (runs last in this module)."""
    cases = ["logger-refused-point", "logger-deleted-run", "exit-finish", "exit-raise"]
    print("\nbackground logger (refused point among 2500; run deleted mid-training; exit without end, 3000 points):")
    for lang, row in SUMMARY.items():
        print(f"  {lang:7} " + ", ".join(f"{case} {row.get(case, 'not run')}" for case in cases))
    assert set(SUMMARY) == set(LANGS)
