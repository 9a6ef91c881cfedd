"""The many-models Spark jobs under injected task failures: PySpark (examples/spark/many_models.py)
and the JVM job (examples/spark-java, `mapPartitions` through the Java SDK).

Each job runs with mlflowrest and with the official client against one server; mlflowrest must
leave exactly one complete, FINISHED run per group; the official client's row (printed beside it)
shows what Spark's task retries do without an idempotency key, and proves the failures were injected.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from bench.spark import job_command
from tests.contract.runner.engine import ROOT
from tests.harness import MlflowServer

pytest.importorskip("pyspark", reason="make setup-spark installs pyspark")
GROUPS, FAILING, PARTITIONS = 24, 5, 8


@pytest.fixture(scope="module")
def server() -> Iterator[MlflowServer]:
    with MlflowServer() as s:
        yield s


def job(server: MlflowServer, client: str, language: str = "python") -> dict[str, Any]:
    cmd = job_command(language, client, GROUPS, FAILING, PARTITIONS)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MLFLOW_TRACKING_URI": server.url})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    row: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nspark {language:6s} {client:10s} {row}")
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


def test_jvm_spark_job_exactly_one_run_per_group(server: MlflowServer) -> None:
    assert (ROOT / "examples/spark-java/target/classpath.txt").exists(), "make setup-spark-java builds the JVM job"
    ours = job(server, "mlflowrest", "java")
    official = job(server, "official", "java")
    for row in (ours, official):
        assert row["failed_attempts"] == FAILING and row["returned"] == GROUPS
    assert ours["runs"] == GROUPS and ours["finished"] == GROUPS and ours["duplicates"] == 0
    assert ours["complete"] == GROUPS
    assert official["runs"] > GROUPS
