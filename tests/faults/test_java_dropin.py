"""Existing Java code through the drop-in (io.mlflowrest.compat.MlflowClient) and a fault proxy.

300 `logMetric` calls, one request each, with 10% of requests faulted (503, 429, resets before and
after the server, answers delayed past the client's timeout): every point stored exactly once,
and the process ends within a bound (the official client hung for good after 100 of them)."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from mlflowrest import MlflowClient
from tests.contract.runner.engine import languages
from tests.harness import MlflowServer
from tests.harness.proxy import FaultSchedule, Proxy

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "java" / "compat" / "target"
CALLS = 300
CLIENT_TIMEOUT = 3.0
# Worst case: every call faulted by delays, each costing the timeout plus backoff; far below this.
BOUND_SECONDS = 300


@pytest.mark.skipif("java" not in languages(), reason="the Java SDK is not part of this run")
def test_dropin_300_log_metric_through_faults() -> None:
    classpath = COMPAT / "classpath.txt"
    assert classpath.is_file(), f"{classpath} missing: run `make setup-java`"
    cp = os.pathsep.join([str(COMPAT / "test-classes"), str(COMPAT / "classes"), classpath.read_text().strip()])
    with MlflowServer() as server:
        direct = MlflowClient(server.url)
        run_id = direct.runs.create(experiment_id="0").run.info.run_id  # type: ignore[union-attr]
        assert run_id is not None
        schedule = FaultSchedule(seed=11, rate=0.10, delay_seconds=CLIENT_TIMEOUT + 1.0)
        with Proxy(server.url, faults=schedule) as proxy:
            env = {**os.environ, "MLFLOW_TRACKING_URI": proxy.url, "MLFLOW_PYTHON_EXECUTABLE": "/bin/false",
                   "MLFLOW_HTTP_REQUEST_TIMEOUT": str(CLIENT_TIMEOUT), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "10",
                   "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.2",
                   "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1"}  # fmt: skip
            started = time.monotonic()
            done = subprocess.run(["java", "-cp", cp, "io.mlflowrest.compat.example.LogMetrics", run_id, str(CALLS)],
                                  check=False, env=env, capture_output=True, text=True,
                                  timeout=BOUND_SECONDS)  # fmt: skip
            took = time.monotonic() - started
        stored = Counter((m.step, m.value) for m in direct.metrics.get_history(run_id=run_id, metric_key="loss",
                                                                                 max_results=25000))  # fmt: skip
    faulted = sum(schedule.counts.values())
    print(f"\njava drop-in: {CALLS} logMetric through {faulted} faults {dict(schedule.counts)} in {took:.1f} s; "
          f"stored {len(stored)}, duplicated {sum(c - 1 for c in stored.values())}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert faulted >= 10, f"only {schedule.counts} faults: the test would prove little"
    assert set(stored) == {(i, i * 0.5) for i in range(CALLS)}
    assert all(c == 1 for c in stored.values())
