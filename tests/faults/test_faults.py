"""Every SDK logs through a proxy that faults 10% of requests, then through a 10-second server outage.

Afterwards the server must hold every metric exactly once (full histories compared), every param
and tag, byte-identical artifacts, one run (retried creates made none extra), status FINISHED.
The SDKs act through their contract drivers (tests/contract/drivers), i.e. their public APIs."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlflowrest import MlflowClient
from tests.contract.runner.engine import Driver, driver_command, languages
from tests.harness import MlflowServer
from tests.harness.proxy import FaultSchedule, Proxy

LANGS = languages()
METRICS, BATCH = 10_000, 100  # 100 logBatch requests of 100 points each
CLIENT_TIMEOUT = 3.0
# Short waits keep the suite quick; enough retries to ride out a 10 s outage plus a restart.
DRIVER_ENV = {"MLFLOW_HTTP_REQUEST_TIMEOUT": str(CLIENT_TIMEOUT), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "10",
              "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.2", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1"}  # fmt: skip
SUMMARY: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def server() -> Iterator[MlflowServer]:
    with MlflowServer() as s:
        print(f"\nfault-suite server ready in {s.start_seconds:.1f} s")
        yield s


@pytest.fixture(scope="module")
def files() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mlflowrest-faults-"))
    (folder / "a.txt").write_text("alpha\n")
    (folder / "weights.bin").write_bytes(hashlib.sha256(b"w").digest() * 40_000)  # 1.28 MB
    (folder / "sub").mkdir()
    (folder / "sub" / "notes.md").write_text("# notes\n")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def call(driver: Driver, op: str, **args: Any) -> Any:
    answer = driver.call(op, args)
    assert answer["ok"], f"[{driver.lang}] {op} failed through faults: {answer.get('error')}"
    return answer["result"]


def points(client: MlflowClient, run_id: str, key: str) -> Counter[tuple[int, int, float]]:
    return Counter((m.step or 0, m.timestamp or 0, m.value or 0.0)
                   for m in client.metrics.get_history(run_id=run_id, metric_key=key, max_results=25000))  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_ten_percent_faults_lose_and_duplicate_nothing(server: MlflowServer, files: Path, lang: str) -> None:
    direct = MlflowClient(server.url)
    exp_id = direct.experiments.create(name=f"faults-{lang}").experiment_id
    assert exp_id
    schedule = FaultSchedule(seed=7, rate=0.10, delay_seconds=CLIENT_TIMEOUT + 1.0)
    with Proxy(server.url, faults=schedule) as proxy:
        driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": proxy.url})
        try:
            run_id = call(driver, "createRun", experiment_id=exp_id, run_name="flaky")["run"]["info"]["run_id"]
            for i in range(20):
                call(driver, "logParam", run_id=run_id, key=f"p{i}", value=f"v{i}")
                call(driver, "setTag", run_id=run_id, key=f"t{i}", value=f"tag {i}")
            for start in range(0, METRICS, BATCH):
                metrics = [{"key": f"m{i % 4}", "value": i * 0.25, "timestamp": 1_700_000_000_000 + i, "step": i}
                           for i in range(start, start + BATCH)]  # fmt: skip
                call(driver, "logBatch", run_id=run_id, metrics=metrics)
            call(driver, "uploadArtifacts", run_id=run_id, local_path=str(files), artifact_path="files")
            call(driver, "updateRun", run_id=run_id, status="FINISHED", end_time=1_700_000_100_000)
        finally:
            driver.close()
    # Read back without faults.
    runs = direct.runs.search(experiment_ids=[exp_id], run_view_type="ALL").to_list()
    assert len(runs) == 1, f"[{lang}] {len(runs)} runs: a retried create duplicated"
    got = direct.runs.get(run_id=run_id).run
    assert got is not None and got.info is not None and got.data is not None
    assert got.info.status == "FINISHED"
    assert {p.key: p.value for p in got.data.params or []} == {f"p{i}": f"v{i}" for i in range(20)}
    tags = {t.key: t.value for t in got.data.tags or []}
    assert all(tags.get(f"t{i}") == f"tag {i}" for i in range(20))
    stored: Counter[tuple[int, int, float]] = Counter()
    for k in range(4):
        stored += points(direct, run_id, f"m{k}")
    expected = Counter((i, 1_700_000_000_000 + i, i * 0.25) for i in range(METRICS))
    lost = sum((expected - stored).values())
    duplicated = sum(count - 1 for count in stored.values() if count > 1)
    with tempfile.TemporaryDirectory() as tmp:
        out = direct.artifacts.download(run_id, "files", tmp)
        same = all((out / p.relative_to(files)).read_bytes() == p.read_bytes() for p in files.rglob("*") if p.is_file())
    SUMMARY.setdefault(lang, {}).update(
        requests=schedule.requests, faulted=sum(schedule.counts.values()), kinds=dict(schedule.counts),
        lost=lost, duplicated=duplicated,
    )  # fmt: skip
    assert sum(schedule.counts.values()) >= 10, f"only {schedule.counts} faults: the test would prove little"
    assert (lost, duplicated) == (0, 0), f"[{lang}] lost {lost}, duplicated {duplicated} metric points"
    assert same, f"[{lang}] artifacts differ after faults"


@pytest.mark.parametrize("lang", LANGS)
def test_background_logger_rides_out_a_server_outage(server: MlflowServer, lang: str) -> None:
    count = 600
    driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": server.url})
    result: dict[str, Any] = {}

    def log() -> None:
        # 600 points 20 ms apart: about 12 s of logging, with the server gone for 10 s of it.
        result["answer"] = driver.call("backgroundLog", {"experiment_id": "0", "key": "loss", "count": count,
                                                         "pause_ms": 20})  # fmt: skip

    worker = threading.Thread(target=log)
    try:
        worker.start()
        time.sleep(2.0)
        server.stop(keep_store=True)
        down = time.monotonic()
        time.sleep(10.0)
        server.start()
        outage = time.monotonic() - down
        worker.join(timeout=180)
    finally:
        driver.close()
    assert not worker.is_alive(), f"[{lang}] the logger never finished after the outage"
    assert result["answer"]["ok"], f"[{lang}] {result['answer'].get('error')}"
    run_id = result["answer"]["result"]["run_id"]
    stored = points(MlflowClient(server.url), run_id, "loss")
    lost = count - len(stored)
    duplicated = sum(c - 1 for c in stored.values())
    SUMMARY.setdefault(lang, {}).update(outage_s=round(outage, 1), outage_lost=lost, outage_duplicated=duplicated)
    assert (lost, duplicated) == (0, 0), f"[{lang}] outage: lost {lost}, duplicated {duplicated}"


# ---- creates under lost answers (issue 15, items 5 and 13) ---------------------------------------
CREATES_N = 20
# The create operations each language's SDK has (every recover-by-request-id operation of
# openapi/family-rules.yaml that its driver reaches).
CREATES = {
    "python": ["createExperiment", "createRun", "createRegisteredModel", "createModelVersion", "createLoggedModel",
               "createWebhook", "createDataset"],
    "java": ["createExperiment", "createRun", "createRegisteredModel", "createModelVersion", "createLoggedModel",
             "createWebhook"],
    "r": ["createExperiment", "createRun", "createRegisteredModel", "createModelVersion"],
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_lost_answers_to_creates_make_exactly_one_entity_per_call(server: MlflowServer, lang: str) -> None:
    """20% of requests are applied by the server and their answer lost (reset after): N calls of
    each create give exactly N entities and no error."""
    direct = MlflowClient(server.url)
    exp_id = str(direct.experiments.create(name=f"creates-{lang}").experiment_id)
    run = direct.runs.create(experiment_id=exp_id).run
    assert run is not None and run.info is not None
    run_info = run.info  # narrowed for the lambdas below
    model = f"creates_{lang}"
    direct.registered_models.create(name=model)
    runs_exp = str(direct.experiments.create(name=f"creates-runs-{lang}").experiment_id)
    lm_exp = str(direct.experiments.create(name=f"creates-lm-{lang}").experiment_id)
    args: dict[str, Callable[[int], dict[str, Any]]] = {
        "createExperiment": lambda i: {"name": f"cx-{lang}-{i}"},
        "createRun": lambda i: {"experiment_id": runs_exp},
        "createRegisteredModel": lambda i: {"name": f"crm_{lang}_{i}"},
        "createModelVersion": lambda i: {"name": model, "source": f"{run_info.artifact_uri}/model",
                                         "run_id": run_info.run_id},
        "createLoggedModel": lambda i: {"experiment_id": lm_exp},
        "createWebhook": lambda i: {"name": f"hook_{lang}_{i}", "url": "https://8.8.8.8/mlflow-hook",
                                    "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}]},
        "createDataset": lambda i: {"name": f"ds-{lang}-{i}", "experiment_ids": [exp_id]},
    }  # fmt: skip
    count = {
        "createExperiment": lambda: len(direct.experiments.search(filter=f"name LIKE 'cx-{lang}-%'",
                                                                  view_type="ALL").to_list()),
        "createRun": lambda: len(direct.runs.search(experiment_ids=[runs_exp], run_view_type="ALL").to_list()),
        "createRegisteredModel": lambda: len(direct.registered_models.search(filter=f"name LIKE 'crm_{lang}_%'")
                                             .to_list()),
        "createModelVersion": lambda: len(direct.model_versions.search(filter=f"name = '{model}'").to_list()),
        "createLoggedModel": lambda: len(direct.logged_models.search(experiment_ids=[lm_exp]).to_list()),
        "createWebhook": lambda: sum(1 for h in direct.webhooks.list() if (h.name or "").startswith(f"hook_{lang}_")),
        "createDataset": lambda: sum(1 for d in direct.datasets.search(experiment_ids=[exp_id])
                                     if (d.name or "").startswith(f"ds-{lang}-")),
    }  # fmt: skip
    schedule = FaultSchedule(seed=11, rate=0.20, delay_seconds=CLIENT_TIMEOUT + 1.0, kinds=("reset-after",))
    raised: dict[str, list[str]] = {}
    with Proxy(server.url, faults=schedule) as proxy:
        driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": proxy.url})
        try:
            for op in CREATES[lang]:
                raised[op] = []
                for i in range(CREATES_N):
                    answer = driver.call(op, args[op](i))
                    if not answer["ok"]:
                        raised[op].append(str(answer.get("error"))[:200])
        finally:
            driver.close()
    rows = {op: (CREATES_N, count[op](), len(raised[op])) for op in CREATES[lang]}
    SUMMARY.setdefault(lang, {})["creates"] = rows
    SUMMARY[lang]["creates_lost_answers"] = schedule.counts["reset-after"]
    assert schedule.counts["reset-after"] >= 10, f"only {schedule.counts} lost answers: the test would prove little"
    wrong = {op: f"{n} calls -> {made} made, {errors} raised {raised[op][:1]}" for op, (n, made, errors) in rows.items()
             if made != n or errors}  # fmt: skip
    assert not wrong, f"[{lang}] {wrong}"


def test_zz_report() -> None:
    """The figures, per language (runs last in this module)."""
    print("\nfault injection (10% of requests, seed 7) and a 10 s server outage:")
    for lang, s in SUMMARY.items():
        print(f"  {lang:7} requests {s.get('requests')}, "
              f"faulted requests survived {s.get('faulted')} {s.get('kinds')}, "
              f"metrics lost {s.get('lost')}, duplicated {s.get('duplicated')}; outage {s.get('outage_s')} s: "
              f"lost {s.get('outage_lost')}, duplicated {s.get('outage_duplicated')}")  # fmt: skip
        for op, (n, made, errors) in (s.get("creates") or {}).items():
            print(f"  {lang:7} {op:22} {n} calls at 20% lost answers ({s.get('creates_lost_answers')} lost in all)"
                  f" -> {made} made, {errors} raised")  # fmt: skip
    assert set(SUMMARY) == set(LANGS)
