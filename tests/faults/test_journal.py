"""The journal (issue 21, docs/journal.md) in every language, against a live server.

Each language provides two thin programs (tests/faults/journal/worker-<lang>, sync-<lang>) so a
test can kill them. The rows:
- outage: 100k points through the background logger while the server is away for far longer
  than the retry budget (a 5-minute outage compressed: 1 retry, 2 s timeout, 15 s down plus the
  restart, over 20 s away);
  the training loop never raises; every point stored once after recovery.
- bounded end: the server away for the whole run; `end_run` waits flush_timeout, leaves the rest
  for sync, and sync stores every point once.
- kill -9: the worker killed at a random moment, 20 seeds; sync then stores exactly the points
  the journal holds (read by tests/faults/journal/reader.py, not by the SDK), in one run.
- offline in one language, synced by another: identical run content read back by all three.
- sync killed half-way then run again, and run twice: nothing created or stored twice.
Every wait is bounded; a hung program is killed and fails its case."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlflowrest import MlflowClient
from tests.contract.runner.engine import ROOT, Driver, driver_command, java_program, languages
from tests.faults.journal import reader
from tests.harness import MlflowServer

LANGS = languages()
HERE = Path(__file__).resolve().parent / "journal"
CLI_JAR = ROOT / "java" / "cli" / "target" / "mlflowrest-cli.jar"  # what worker-java runs on
BOUND = 300.0  # seconds any one program may take before it counts as hung
BASE_TS = 1_700_000_000_000
# A short retry budget: a request gives up within 4.2 s at worst (two 2 s timeouts and a 0.2 s
# backoff), in 0.2 s against a stopped server's refusals; the logger tries again every second or
# so. 15 s down plus a restart (7-10 s) outlasts it five times over at worst, dozens of times as
# it happens; 30 s proved no more and cost 15 s per language.
SHORT_BUDGET = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.1",
                "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "2"}  # fmt: skip
ROOMY = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "60", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
         "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.1", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1"}  # fmt: skip
OUTAGE_POINTS, OUTAGE_S = 100_000, 15.0
KILL_POINTS, KILL_SEEDS = 3000, 20
SUMMARY: dict[str, dict[str, Any]] = {}


def value(seed: int, i: int) -> float:
    return (seed * 1000003 + i) % 1000 / 1000.0


def expected(seed: int, n: int) -> set[tuple[int, int, float]]:
    return {(i, BASE_TS + i, value(seed, i)) for i in range(n)}


@pytest.fixture(scope="module")
def server() -> Iterator[MlflowServer]:
    with MlflowServer() as s:
        print(f"\njournal-suite server ready in {s.start_seconds:.1f} s")
        yield s


@pytest.fixture
def jdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mlflowrest-journal-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Program:
    """A worker-<lang> or sync-<lang> process whose JSON lines are read as they come."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self.text: list[str] = []
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env={**os.environ, "R_LIBS": str(ROOT / ".work" / "rlib"), **env}, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.text.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a report line of sync, or a log line
            if isinstance(record, dict):
                self.lines.put(record)
        self.lines.put(None)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(self, key: str, bound: float = BOUND, at_least: int | None = None) -> dict[str, Any]:
        """The first line holding `key` (with a value >= at_least), or a failure after `bound` s."""
        for line in self.seen:
            if key in line and (at_least is None or line[key] >= at_least):
                return line
        deadline = time.monotonic() + bound
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if key in line and (at_least is None or line[key] >= at_least):
                return line
        self.kill()
        raise AssertionError(f"no {key!r} line from {self.proc.args!r} within {bound:.0f} s:\n{self.tail()}")

    def finish(self, bound: float = BOUND) -> int:
        try:
            return self.proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.proc.args!r} hung for {bound:.0f} s:\n{self.tail()}") from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def tail(self) -> str:
        return "".join(self.text[-10:]) + "".join(self.stderr[-30:])


def worker(lang: str, args: list[str], env: dict[str, str]) -> Program:
    if lang == "java":  # worker-java's program, compiled once rather than at each of its two dozen starts
        return Program([*java_program(HERE / "JournalWorker.java", CLI_JAR), *args], env)
    return Program([str(HERE / f"worker-{lang}"), *args], env)


def sync(lang: str, folder: Path, uri: str, bound: float = BOUND) -> tuple[int, str]:
    program = Program([str(HERE / f"sync-{lang}"), str(folder)], {"MLFLOW_TRACKING_URI": uri, **ROOMY})
    status = program.finish(bound)
    return status, "".join(program.text) + "".join(program.stderr)


def stored(client: MlflowClient, run_id: str, key: str) -> Counter[tuple[int, int, float]]:
    return Counter((m.step or 0, m.timestamp or 0, m.value if m.value is not None else 0.0)
                   for m in client.metrics.get_history(run_id=run_id, metric_key=key))  # fmt: skip


def runs_of(client: MlflowClient, experiment: str) -> list[Any]:
    experiment_id = client.experiments.get_by_name(experiment_name=experiment).experiment.experiment_id
    return list(client.runs.search(experiment_ids=[experiment_id]))


def check_points(client: MlflowClient, run_id: str, want: set[tuple[int, int, float]], lang: str, row: str) -> None:
    got = stored(client, run_id, "loss")
    lost = len(want - set(got))
    extra = len(set(got) - want)
    duplicated = sum(c - 1 for c in got.values())
    SUMMARY.setdefault(lang, {})[row] = f"{len(want)} points: lost {lost}, duplicated {duplicated}, unexpected {extra}"
    assert (lost, duplicated, extra) == (0, 0, 0), f"[{lang}] {row}: {SUMMARY[lang][row]}"


# ---- the server away far longer than the retry budget ---------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_outage_beyond_the_retry_budget_loses_nothing(server: MlflowServer, jdir: Path, lang: str) -> None:
    experiment = f"journal-outage-{lang}"
    env = {"MLFLOW_TRACKING_URI": server.url, "MLFLOWREST_JOURNAL_DIR": str(jdir), **SHORT_BUDGET,
           "MLFLOWREST_FLUSH_TIMEOUT": "300"}  # fmt: skip
    program = worker(lang, ["loop", "--experiment", experiment, "--points", str(OUTAGE_POINTS), "--seed", "1"], env)
    try:
        run_id = program.wait_for("run_id", bound=120)["run_id"]
        server.stop(keep_store=True)  # the loop logs its 100k points into the outage
        time.sleep(OUTAGE_S)
        assert program.proc.poll() in (None, 0), f"[{lang}] the training loop died in the outage:\n{program.tail()}"
        server.start()
        done = program.wait_for("done", bound=BOUND)
        status = program.finish()
    finally:
        program.kill()
        if server.proc is None:
            server.start()
    assert status == 0, f"[{lang}] worker exited {status}:\n{program.tail()}"
    assert done["left_for_sync"] == 0, f"[{lang}] the logger did not drain the journal after recovery: {done}"
    client = MlflowClient(server.url)
    check_points(client, run_id, expected(1, OUTAGE_POINTS), lang, "outage")
    assert client.runs.get(run_id=run_id).run.info.status == "FINISHED"


@pytest.mark.parametrize("lang", LANGS)
def test_end_run_waits_a_bounded_time_and_sync_sends_the_rest(server: MlflowServer, jdir: Path, lang: str) -> None:
    experiment, n = f"journal-bounded-{lang}", 10_000
    env = {"MLFLOW_TRACKING_URI": server.url, "MLFLOWREST_JOURNAL_DIR": str(jdir), **SHORT_BUDGET,
           "MLFLOWREST_FLUSH_TIMEOUT": "3"}  # fmt: skip
    program = worker(lang, ["loop", "--experiment", experiment, "--points", str(n), "--seed", "2"], env)
    try:
        run_id = program.wait_for("run_id", bound=120)["run_id"]
        server.stop(keep_store=True)
        done = program.wait_for("done", bound=BOUND)
        status = program.finish()
    finally:
        program.kill()
        server.start()
    assert status == 0, f"[{lang}] worker exited {status}:\n{program.tail()}"
    assert done["left_for_sync"] > 0, f"[{lang}] nothing left for sync with the server away: {done}"
    code, report = sync(lang, jdir, server.url)
    assert code == 0, f"[{lang}] sync exited {code}:\n{report}"
    client = MlflowClient(server.url)
    check_points(client, run_id, expected(2, n), lang, "bounded end + sync")
    assert client.runs.get(run_id=run_id).run.info.status == "FINISHED"


# ---- kill -9 at a random moment, then sync ---------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_kill_9_then_sync_stores_what_the_journal_acknowledged(server: MlflowServer, lang: str) -> None:
    rng = random.Random(f"kill-{lang}")
    client = MlflowClient(server.url)
    failures, torn = [], 0
    for seed in range(KILL_SEEDS):
        folder = Path(tempfile.mkdtemp(prefix=f"mlflowrest-kill-{lang}-{seed}-"))
        experiment = f"journal-kill-{lang}-{seed}"
        env = {"MLFLOW_TRACKING_URI": server.url, "MLFLOWREST_JOURNAL_DIR": str(folder), **ROOMY}
        program = worker(lang, ["loop", "--experiment", experiment, "--points", str(KILL_POINTS), "--seed", str(seed)],
                         env)  # fmt: skip
        try:
            run_id = program.wait_for("run_id", bound=120)["run_id"]
            time.sleep(rng.uniform(0.0, 1.5))
            program.kill()
            files = reader.read_dir(folder)
            torn += sum(f.torn_tail for f in files)
            want = reader.journaled_points(files, "loss")
            code, report = sync(lang, folder, server.url)
            if code != 0:
                failures.append(f"seed {seed}: sync exited {code}: {report[-400:]}")
                continue
            got = stored(client, run_id, "loss")
            lost, dup = len(want - set(got)), sum(c - 1 for c in got.values())
            extra = len(set(got) - want)
            runs = len(runs_of(client, experiment))
            if (lost, dup, extra, runs) != (0, 0, 0, 1) or not want <= expected(seed, KILL_POINTS):
                failures.append(f"seed {seed}: journal {len(want)}, lost {lost}, dup {dup}, extra {extra}, runs {runs}")
        finally:
            program.kill()
            shutil.rmtree(folder, ignore_errors=True)
    SUMMARY.setdefault(lang, {})["kill -9 x20 + sync"] = (
        f"{KILL_SEEDS - len(failures)}/{KILL_SEEDS} seeds exact, {torn} torn last lines ignored")
    assert not failures, f"[{lang}] " + "; ".join(failures)


# ---- offline in one language, synced by another -----------------------------------------------------
WEIGHTS = bytes(range(256)) * 4
OFFLINE_CONTENT = {
    "run_name": "offline-run", "status": "FINISHED", "params": {"alpha": "0.5", "layers": "3"},
    "tags": {"team": "ml"},
    "loss": sorted((s, BASE_TS + s, 1 / (s + 1)) for s in range(100)), "accuracy": [(0, BASE_TS, 0.9)],
}  # fmt: skip
PAIRS = [(w, s) for w, s in (("r", "python"), ("python", "java"), ("java", "r")) if w in LANGS and s in LANGS]


def read_back(lang: str, uri: str, run_id: str) -> dict[str, Any]:
    """The run's content as `lang`'s SDK reads it, through its contract driver."""
    driver = Driver(lang, driver_command(lang), {"MLFLOW_TRACKING_URI": uri, **ROOMY})
    try:
        def call(op: str, **args: Any) -> Any:
            answer = driver.call(op, args)
            assert answer["ok"], f"[{lang}] {op}: {answer.get('error')}"
            return answer["result"]

        run = call("getRun", run_id=run_id)["run"]
        data = run.get("data", {})
        content: dict[str, Any] = {
            "run_name": run["info"].get("run_name"), "status": run["info"].get("status"),
            "params": {p["key"]: p["value"] for p in data.get("params", [])},
            "tags": {t["key"]: t["value"] for t in data.get("tags", [])
                     if not t["key"].startswith(("mlflow.", "mlflowrest."))},
        }  # fmt: skip
        for key in ("loss", "accuracy"):
            history = call("getMetricHistory", run_id=run_id, metric_key=key).get("metrics", [])
            content[key] = sorted((int(m.get("step", 0)), int(m["timestamp"]), float(m["value"])) for m in history)
        content["reports"] = call("downloadArtifacts", run_id=run_id, path="reports")["files"]
        content["model"] = call("downloadArtifacts", run_id=run_id, path="model")["files"]
        return content
    finally:
        driver.close()


@pytest.mark.parametrize(("writer", "syncer"), PAIRS, ids=[f"{w}-offline-synced-by-{s}" for w, s in PAIRS])
def test_offline_run_synced_by_another_language(server: MlflowServer, jdir: Path, writer: str, syncer: str) -> None:
    experiment = f"journal-offline-{writer}-{syncer}"
    program = worker(writer, ["offline", "--experiment", experiment], {"MLFLOW_TRACKING_URI": f"offline:{jdir}"})
    local = program.wait_for("run_id", bound=120)["run_id"]
    assert program.finish() == 0, f"[{writer}] offline worker failed:\n{program.tail()}"
    assert local.startswith("local-"), f"[{writer}] an offline run id must be local: {local}"
    code, report = sync(syncer, jdir, server.url)
    assert code == 0, f"[{syncer}] sync of {writer}'s offline run exited {code}:\n{report}"
    client = MlflowClient(server.url)
    runs = runs_of(client, experiment)
    assert len(runs) == 1, f"{len(runs)} runs after syncing one offline run"
    run_id = runs[0].info.run_id
    def sha(b: bytes) -> str:
        return hashlib.sha256(b).hexdigest()

    want = {**OFFLINE_CONTENT, "reports": {"summary.json": sha(b'{"groups": 3}')},
            "model": {"weights.bin": sha(WEIGHTS), "conf/params.txt": sha(b"alpha=0.5\n")}}  # fmt: skip
    for reader_lang in LANGS:
        got = read_back(reader_lang, server.url, run_id)
        assert got == want, f"{writer} offline -> {syncer} sync, read by {reader_lang}: {got} != {want}"
    SUMMARY.setdefault(writer, {})[f"offline, synced by {syncer}"] = f"identical in {', '.join(LANGS)}"


# ---- sync killed half-way, then again, then twice ------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_sync_killed_half_way_and_run_twice_makes_nothing_twice(server: MlflowServer, jdir: Path, lang: str) -> None:
    experiment = f"journal-resync-{lang}"
    program = worker(lang, ["offline", "--experiment", experiment], {"MLFLOW_TRACKING_URI": f"offline:{jdir}"})
    program.wait_for("run_id", bound=120)
    assert program.finish() == 0, f"[{lang}] offline worker failed:\n{program.tail()}"
    calls = sum(len(f.of_type("call")) + len(f.of_type("artifact")) for f in reader.read_dir(jdir))
    # Kill sync at growing moments until one kill lands half-way (some but not all calls settled).
    half_way = False
    for delay in (0.3, 0.6, 1.0, 1.5, 2.5, 4.0):
        first = Program([str(HERE / f"sync-{lang}"), str(jdir)], {"MLFLOW_TRACKING_URI": server.url, **ROOMY})
        time.sleep(delay)
        first.kill()
        settled = sum(len(f.settled()) for f in reader.read_dir(jdir))
        if 0 < settled < calls:
            half_way = True
            break
        if settled == calls:
            break
    for _ in range(2):  # resumed, then once more: the second must find nothing to do
        code, report = sync(lang, jdir, server.url)
        assert code == 0, f"[{lang}] sync exited {code}:\n{report}"
    client = MlflowClient(server.url)
    runs = runs_of(client, experiment)
    assert len(runs) == 1, f"[{lang}] {len(runs)} runs after syncing one offline run three times"
    run = client.runs.get(run_id=runs[0].info.run_id).run
    keys = Counter(p.key for p in run.data.params or [])
    assert keys == Counter({"alpha": 1, "layers": 1}), f"[{lang}] params {keys}"
    history = stored(client, run.info.run_id, "loss")
    assert sorted(history) == OFFLINE_CONTENT["loss"] and max(history.values()) == 1, f"[{lang}] loss {history}"
    settled = sum(len(f.settled()) for f in reader.read_dir(jdir))
    assert settled == calls, f"[{lang}] {calls - settled} journal calls never marked settled"
    SUMMARY.setdefault(lang, {})["sync killed, resumed, run twice"] = (
        f"{calls} calls, killed {'half-way' if half_way else 'before or after the work'}; 1 run, 0 duplicates")


def test_zz_report() -> None:
    """The journal rows of the fault table, per language (runs last in this module)."""
    print("\njournal (issue 21):")
    for lang, rows in SUMMARY.items():
        for row, text in rows.items():
            print(f"  {lang:7} {row:34} {text}")
    assert set(SUMMARY) >= set(LANGS)
