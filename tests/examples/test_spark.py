"""The PySpark many-models job (examples/spark/many_models.py) under injected task failures.

Both clients run the same job against one server; mlflowrest must leave exactly one complete,
FINISHED run per group; the official client's row (printed beside it) shows what Spark's task
retries do without an idempotency key, and proves the failures were injected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.contract.runner.engine import ROOT
from tests.harness import MlflowServer

pytest.importorskip("pyspark", reason="make setup-spark installs pyspark")
GROUPS, FAILING, PARTITIONS = 24, 5, 8


@pytest.fixture(scope="module")
def server() -> Iterator[MlflowServer]:
    with MlflowServer() as s:
        yield s


def job(server: MlflowServer, client: str) -> dict[str, object]:
    cmd = [sys.executable, "examples/spark/many_models.py", "--groups", str(GROUPS), "--fail", str(FAILING),
           "--partitions", str(PARTITIONS), "--client", client]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MLFLOW_TRACKING_URI": server.url})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    row: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nspark {client:10s} {row}")
    return row


def test_spark_many_models_exactly_one_run_per_group(server: MlflowServer) -> None:
    ours = job(server, "mlflowrest")
    official = job(server, "official")
    for row in (ours, official):
        assert row["failed_attempts"] == FAILING and row["returned"] == GROUPS
    assert ours["runs"] == GROUPS and ours["finished"] == GROUPS and ours["duplicates"] == 0
    assert ours["complete"] == GROUPS
    # The anchor: without a key, every injected failure leaves a FAILED run behind.
    assert official["runs"] > GROUPS
