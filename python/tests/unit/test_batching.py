from __future__ import annotations

import json

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
    assert sizes == [1000, 1000, 500]


def test_invalid_entity_writes_nothing(offline: MlflowClient) -> None:
    bad = [*metrics(1500), models.Metric.model_construct(key="bad key!", value=1.0, timestamp=1, step=0)]
    with responses.RequestsMock() as mock:
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.log_batch(run_id="r1", metrics=bad)
        assert len(mock.calls) == 0
    assert "key" in str(info.value.field)
