"""The proxy's checker itself: it must flag what the suite relies on it to flag."""

from __future__ import annotations

import json

from tests.contract.runner.spec_check import SpecChecker

CHECK = SpecChecker()
JSON = "application/json"


def test_good_exchange_passes() -> None:
    body = json.dumps({"run_id": "r1", "key": "m", "value": "NaN", "timestamp": 1, "step": 0}).encode()
    op, problems = CHECK.check("POST", "/api/2.0/mlflow/runs/log-metric", {}, JSON, body, 200, JSON, b"{}")
    assert (op, problems) == ("logMetric", [])


def test_undocumented_endpoint_and_preview_path_fail() -> None:
    for path in ("/api/2.0/mlflow/runs/nope", "/api/2.0/preview/mlflow/runs/create"):
        op, problems = CHECK.check("POST", path, {}, JSON, b"{}", 404, "text/plain", b"x")
        assert op is None and "undocumented endpoint" in problems[0]


def test_bad_bodies_and_parameters_fail() -> None:
    body = json.dumps({"experiment_id": 0}).encode()  # a number where the spec says string
    _, problems = CHECK.check("POST", "/api/2.0/mlflow/runs/create", {}, JSON, body, 200, JSON, b"{}")
    assert any("experiment_id" in p for p in problems)
    _, problems = CHECK.check("GET", "/api/2.0/mlflow/runs/get", {"run_id": ["x"], "bogus": ["1"]}, "", b"",
                              200, JSON, b'{"run": {"info": {"status": "NOT_A_STATUS"}}}')  # fmt: skip
    assert any("bogus" in p for p in problems) and any("NOT_A_STATUS" in p for p in problems)


def test_templated_and_literal_routes_are_told_apart() -> None:
    op, _ = CHECK.check("POST", "/api/3.0/mlflow/traces/search", {}, JSON, b"{}", 200, JSON, b"{}")
    assert op == "searchTracesV3"
    op, problems = CHECK.check("GET", "/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts/a/b.txt", {}, "", b"",
                               200, "text/plain", b"hello")  # fmt: skip
    assert op == "downloadArtifact" and problems == []
