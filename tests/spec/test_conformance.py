"""The live server conforms to openapi/mlflow.yaml: schemathesis against one harness server."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.harness import MlflowServer

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "mlflow.yaml"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SERVER_BUGS = yaml.safe_load((Path(__file__).with_name("server_bugs.yaml")).read_text())
COMMON = ["-m", "positive", "-n", "5", "--seed", "1", "--phases", "examples,fuzzing", "--no-color",
          "--generation-database", "none", "--warnings", "off", "-w", "1", "--request-timeout", "30",
          "--exclude-tag", "databricks-artifacts"]  # fmt: skip  # served by Databricks only
# The workspaces routes answer 503 unless the server runs with --enable-workspaces, which also
# changes how other routes answer (getDatasetRecords of an unknown id: 500 instead of 200): the
# default server checks everything else, a second server only the workspaces routes.
WORKSPACES = ["--include-tag", "workspaces"]


@pytest.fixture(scope="module")
def server() -> Iterator[MlflowServer]:
    with MlflowServer() as s:
        print(f"\nharness server started in {s.start_seconds:.1f} s")
        yield s


def run(server: MlflowServer, args: list[str]) -> tuple[int, str]:
    proc = subprocess.run(
        [str(SCHEMATHESIS), "run", str(SPEC), "--url", server.url, *COMMON, *args],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    cases = re.search(r"(\d+) generated", out)
    print(f"schemathesis {' '.join(args[:2])}: {cases.group(1) if cases else '?'} cases, exit {proc.returncode}")
    return proc.returncode, out


def test_responses_conform_to_spec(server: MlflowServer) -> None:
    rc, out = run(server, ["-c", "status_code_conformance,content_type_conformance,response_schema_conformance",
                           "--exclude-tag", "workspaces"])  # fmt: skip
    assert rc == 0, out[-6000:]


def test_no_server_errors_outside_known_server_bugs(server: MlflowServer) -> None:
    excluded = [arg for bug in SERVER_BUGS for arg in ("--exclude-operation-id", bug["operation"])]
    rc, out = run(server, ["-c", "not_a_server_error", "--exclude-tag", "workspaces", *excluded])
    assert rc == 0, out[-6000:]


def test_workspaces_routes_on_a_server_with_workspaces_enabled(server: MlflowServer) -> None:
    off = requests.get(f"{server.url}/api/3.0/mlflow/workspaces", timeout=30)
    assert off.status_code == 503 and "--enable-workspaces" in off.text, off.text
    with MlflowServer(extra_args=["--enable-workspaces"]) as workspaces_server:
        print(f"\nharness server with --enable-workspaces started in {workspaces_server.start_seconds:.1f} s")
        checks = "status_code_conformance,content_type_conformance,response_schema_conformance,not_a_server_error"
        rc, out = run(workspaces_server, ["-c", checks, *WORKSPACES])
    assert rc == 0, out[-6000:]
    assert re.search(r"Tested: 5\b", out), out[-2000:]  # the five workspaces operations
