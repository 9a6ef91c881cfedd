from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import responses

from mlflowrest import InvalidParameterValueError, MlflowClient, models
from mlflowrest._batching import MAX_BYTES, chunk_batch

BASE = "http://mlflow.test"  # the offline fixture's base URL

LOG_BATCH = f"{BASE}/api/2.0/mlflow/runs/log-batch"


def metrics(n: int) -> list[models.Metric]:
    return [models.Metric(key=f"m{i % 7}", value=float(i), timestamp=i, step=i) for i in range(n)]


def test_chunks_respect_every_limit_and_keep_everything() -> None:
    params = [models.Param(key=f"p{i}", value="v") for i in range(250)]
    tags = [models.RunTag(key=f"t{i}", value="v") for i in range(150)]
    chunks = list(chunk_batch(metrics(2500), params, tags))
    for c in chunks:
        assert len(c.metrics) <= 1000 and len(c.params) <= 100 and len(c.tags) <= 100
        assert c.entities <= 1000
    assert sum(len(c.metrics) for c in chunks) == 2500
    assert [p.key for c in chunks for p in c.params] == [p.key for p in params]
    assert sum(len(c.tags) for c in chunks) == 150


def test_same_param_key_never_twice_in_one_request() -> None:
    params = [models.Param(key="lr", value="0.1"), models.Param(key="lr", value="0.1")]
    chunks = list(chunk_batch([], params, []))
    assert len(chunks) == 2


def test_byte_limit_splits_large_values() -> None:
    tags = [models.RunTag(key=f"t{i}", value="x" * 7000) for i in range(100)]  # ~700 KB
    params = [models.Param(key=f"p{i}", value="y" * 5000) for i in range(100)]  # ~500 KB
    chunks = list(chunk_batch([], params, tags))
    assert len(chunks) >= 2
    for c in chunks:
        body = {"params": [p.model_dump() for p in c.params], "tags": [t.model_dump() for t in c.tags]}
        assert len(json.dumps(body)) <= MAX_BYTES


@responses.activate
def test_log_batch_sends_chunks(offline: MlflowClient) -> None:
    responses.post(LOG_BATCH, json={})
    offline.runs.log_batch(run_id="r1", metrics=metrics(2500))
    sizes = [len(json.loads(c.request.body).get("metrics", [])) for c in responses.calls]
    assert sorted(sizes) == [500, 1000, 1000]  # two in flight: arrival order may vary


def test_metric_size_bound_covers_the_real_body() -> None:
    # The chunker bounds a metric's size instead of serialising it; the bound must hold for the
    # longest keys and values the server accepts, else the server refuses the request.
    long = [models.Metric(key="k" * 246 + f"{i:04d}", value=-1.2345678901234567e-300, timestamp=-(2**63),
                          step=-(2**63)) for i in range(3000)]  # fmt: skip
    for c in chunk_batch(long, [], []):
        body = {"run_id": "r" * 32, "metrics": [m.model_dump(mode="json") for m in c.metrics]}
        assert len(json.dumps(body)) <= MAX_BYTES
        assert len(c.metrics) <= 1000


class _InFlight:
    """A responses callback that records how many requests were being answered at once."""

    def __init__(self, fail_call: int | None = None) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = self.calls = 0
        self.fail_call = fail_call
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        with self.lock:
            self.now += 1
            self.calls += 1
            call = self.calls
            self.peak = max(self.peak, self.now)
            self.bodies.append(json.loads(request.body))
        time.sleep(0.05)  # long enough for a second request to start if one may
        with self.lock:
            self.now -= 1
        if call == self.fail_call:
            return 400, {}, json.dumps({"error_code": "INVALID_PARAMETER_VALUE", "message": "bad chunk"})
        return 200, {}, "{}"


@responses.activate
def test_metric_chunks_go_two_at_a_time(offline: MlflowClient) -> None:
    seen = _InFlight()
    responses.add_callback(responses.POST, LOG_BATCH, callback=seen)
    offline.runs.log_batch(run_id="r1", metrics=metrics(6000))
    assert seen.calls == 6 and seen.peak == 2
    assert sum(len(b["metrics"]) for b in seen.bodies) == 6000


@responses.activate
def test_concurrency_one_is_sequential(offline: MlflowClient) -> None:
    seen = _InFlight()
    responses.add_callback(responses.POST, LOG_BATCH, callback=seen)
    offline.runs.log_batch(run_id="r1", metrics=metrics(3000), concurrency=1)
    assert seen.calls == 3 and seen.peak == 1


@responses.activate
def test_params_and_tags_land_before_any_metric_chunk(offline: MlflowClient) -> None:
    seen = _InFlight()
    responses.add_callback(responses.POST, LOG_BATCH, callback=seen)
    params = [models.Param(key=f"p{i}", value="v") for i in range(150)]
    tags = [models.RunTag(key="t", value="first"), models.RunTag(key="t2", value="x")]
    offline.runs.log_batch(run_id="r1", metrics=metrics(3000), params=params, tags=tags)
    with_config = [i for i, b in enumerate(seen.bodies) if b.get("params") or b.get("tags")]
    assert with_config == list(range(len(with_config)))  # every params/tags request came first
    assert sum(len(b.get("params", [])) for b in seen.bodies) == 150
    assert sum(len(b.get("metrics", [])) for b in seen.bodies) == 3000


@responses.activate
def test_a_failed_chunk_stops_new_ones_and_says_what_is_stored(offline: MlflowClient) -> None:
    seen = _InFlight(fail_call=2)
    responses.add_callback(responses.POST, LOG_BATCH, callback=seen)
    with pytest.raises(InvalidParameterValueError) as info:
        offline.runs.log_batch(run_id="r1", metrics=metrics(8000))
    # Calls 1 and 2 start together and 2 fails: a request that replaced 1 before the failure was
    # seen may still go out (scheduling decides), but far fewer than the 8 chunks reach the server.
    assert seen.calls < 8
    stored = info.value.stored_metrics  # type: ignore[attr-defined]
    assert stored == 1000 * (seen.calls - 1)
    assert f"{stored} of 8000 metric points are stored" in "".join(getattr(info.value, "__notes__", []))


def test_concurrency_below_one_is_refused(offline: MlflowClient) -> None:
    with pytest.raises(InvalidParameterValueError) as info:
        offline.runs.log_batch(run_id="r1", metrics=metrics(10), concurrency=0)
    assert info.value.field == "concurrency"


def test_invalid_entity_writes_nothing(offline: MlflowClient) -> None:
    bad = [*metrics(1500), models.Metric.model_construct(key="bad key!", value=1.0, timestamp=1, step=0)]
    with responses.RequestsMock() as mock:
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.log_batch(run_id="r1", metrics=bad)
        assert len(mock.calls) == 0
    assert "key" in str(info.value.field)
