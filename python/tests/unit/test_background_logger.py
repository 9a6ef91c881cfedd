"""The background logger against a stub server: refused points are isolated, a dead run stops the
logger, flush is bounded. Every wait here is bounded by a flush timeout."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
import responses

from mlflowrest import InvalidParameterValueError, MlflowClient, RequestTimeoutError, ResourceDoesNotExistError
from mlflowrest._background import BackgroundLogger

BASE = "http://mlflow.test"
LOG_BATCH = f"{BASE}/api/2.0/mlflow/runs/log-batch"
GET_RUN = f"{BASE}/api/2.0/mlflow/runs/get"


class StubServer:
    """log-batch the way MLflow answers it: the whole request refused when any point is bad
    (a negative timestamp), else every point stored once."""

    def __init__(self, lifecycle_stage: str = "active") -> None:
        self.points: set[tuple[str, float, int, int]] = set()
        self.requests = 0
        self.lifecycle_stage = lifecycle_stage
        self.lock = threading.Lock()

    def log_batch(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        with self.lock:
            self.requests += 1
            if self.lifecycle_stage != "active":
                return _refusal("The run r1 must be in the 'active' state. Current state is deleted.")
            metrics = body.get("metrics", [])
            for i, m in enumerate(metrics):
                if m["timestamp"] < 0:
                    return _refusal(f"Invalid value {m['timestamp']} for parameter 'metrics[{i}].timestamp' supplied")
            self.points.update((m["key"], m["value"], m["timestamp"], m.get("step", 0)) for m in metrics)
        return 200, {}, "{}"

    def get_run(self, request: Any) -> tuple[int, dict[str, str], str]:
        info = {"run_id": "r1", "experiment_id": "0", "lifecycle_stage": self.lifecycle_stage}
        return 200, {}, json.dumps({"run": {"info": info}})

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, LOG_BATCH, callback=self.log_batch)
        mock.add_callback(responses.GET, GET_RUN, callback=self.get_run)


def _refusal(message: str) -> tuple[int, dict[str, str], str]:
    return 400, {}, json.dumps({"error_code": "INVALID_PARAMETER_VALUE", "message": message})


def test_a_refused_point_is_isolated_and_every_other_point_stored(offline: MlflowClient) -> None:
    stub = StubServer()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stub.install(mock)
        logger = BackgroundLogger(offline, "r1", interval=0.01)
        for step in range(2500):
            logger.log("loss", float(step), -1 if step == 1234 else 1_700_000_000_000 + step, step)
        with pytest.raises(InvalidParameterValueError) as info:
            logger.flush(timeout=30)
        requests_at_flush = stub.requests
        logger.flush(timeout=30)  # reported once; the refused point is not sent again
        logger.close(timeout=30)
    error = info.value
    assert len(stub.points) == 2499 and ("loss", 1234.0, -1, 1234) not in stub.points
    assert error.stored == 2499 and [m.step for m in error.refused] == [1234]  # type: ignore[attr-defined]
    assert "2499 points stored" in str(error) and "step=1234" in str(error) and "metrics[0].timestamp" in str(error)
    # Split in halves: about two requests per level, never a resend loop.
    assert requests_at_flush <= 2 + 2 * 12 + 1 and stub.requests == requests_at_flush


def test_a_deleted_run_stops_the_logger_with_a_typed_error(offline: MlflowClient) -> None:
    stub = StubServer(lifecycle_stage="deleted")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stub.install(mock)
        logger = BackgroundLogger(offline, "r1", interval=0.01)
        for step in range(1500):
            logger.log("loss", 0.5, 1_700_000_000_000, step)
        with pytest.raises(InvalidParameterValueError) as info:
            logger.flush(timeout=30)
        with pytest.raises(InvalidParameterValueError):
            logger.log("loss", 0.5, 1_700_000_000_000, 1500)  # the training loop learns at once
        with pytest.raises(InvalidParameterValueError):
            logger.close(timeout=30)
    assert stub.requests <= 2, "one log_batch call (two requests in flight), never split point by point"
    assert info.value.stored == 0 and "'active' state" in str(info.value)  # type: ignore[attr-defined]
    assert "1500 points not stored" in str(info.value)


def test_a_missing_run_stops_the_logger(offline: MlflowClient) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(LOG_BATCH, status=400, json={"error_code": "INVALID_PARAMETER_VALUE", "message": "no run"})
        mock.get(GET_RUN, status=404, json={"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run 'r1' not found"})
        logger = BackgroundLogger(offline, "r1", interval=0.01)
        logger.log("loss", 0.5, 1_700_000_000_000, 0)
        with pytest.raises(ResourceDoesNotExistError):
            logger.flush(timeout=30)
        assert len([c for c in mock.calls if c.request.url == LOG_BATCH]) == 1


def test_flush_is_bounded_and_says_what_is_unsent() -> None:
    client = MlflowClient(BASE, backoff_factor=0.0, backoff_jitter=0.0, max_retries=0, flush_timeout=0.3)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(LOG_BATCH, body=requests.ConnectionError("server gone"))
        logger = BackgroundLogger(client, "r1", interval=0.01)
        for step in range(10):
            logger.log("loss", 0.5, 1_700_000_000_000, step)
        with pytest.raises(RequestTimeoutError) as info:
            logger.flush()  # the default: the client's flush_timeout
        assert info.value.unsent == 10  # type: ignore[attr-defined]
        assert "10 metric points of run r1 still unsent after 0.3 s" in str(info.value)
        assert "server gone" in str(info.value)
        with pytest.raises(RequestTimeoutError):
            logger.close(timeout=0.2)


def test_flush_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOWREST_FLUSH_TIMEOUT", "7.5")
    assert MlflowClient(BASE).config.flush_timeout == 7.5
    monkeypatch.setenv("MLFLOWREST_FLUSH_TIMEOUT", "soon")
    with pytest.raises(InvalidParameterValueError, match="MLFLOWREST_FLUSH_TIMEOUT"):
        MlflowClient(BASE)


def test_transient_failures_keep_points_until_stored(offline: MlflowClient) -> None:
    stub = StubServer()
    answers = iter([(503, {}, "busy")] * 5)

    def flaky(request: Any) -> tuple[int, dict[str, str], str]:
        return next(answers, None) or stub.log_batch(request)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, LOG_BATCH, callback=flaky)
        logger = BackgroundLogger(offline, "r1", interval=0.01)
        for step in range(300):
            logger.log("loss", float(step), 1_700_000_000_000 + step, step)
        logger.close(timeout=30)
    assert len(stub.points) == 300 and logger.stored == 300
