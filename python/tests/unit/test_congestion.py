"""The client-wide write limit: halved by overload answers, climbing back on stored batches,
shared by every thread that logs through one client."""

from __future__ import annotations

import json
import threading
import time

import responses

from mlflowrest import MlflowClient, models
from mlflowrest._congestion import WriteLimit

BASE = "http://mlflow.test"
QUEUE_POOL = {
    "error_code": "BAD_REQUEST",
    "message": "QueuePool limit of size 5 overflow 10 reached, connection timed out",
}


def test_aimd_halves_on_overload_and_climbs_back_by_one_per_limits_worth() -> None:
    limit = WriteLimit(2)  # batch_concurrency 2: a window of 8
    assert limit.limit == 8.0
    limit.overloaded()
    limit.overloaded()
    assert limit.limit == 2.0
    for _ in range(2):
        limit.stored()
    assert abs(limit.limit - 2.9) < 1e-9  # 2 + 1/2, then + 1/2.5
    for _ in range(200):
        limit.stored()
    assert limit.limit == 8.0
    for _ in range(10):
        limit.overloaded()
    assert limit.limit == 1.0


def test_the_window_stays_under_the_servers_pool_whatever_batch_concurrency() -> None:
    # 15 log_batch requests in one server worker deadlock its pool (tests/faults/test_pool_deadlock.py).
    assert WriteLimit(3).limit == 12.0
    wide = WriteLimit(8)  # 4 per unit would be 32
    assert wide.limit == 14.0 and wide.ceiling == 14
    for _ in range(100):
        wide.stored()
    assert wide.limit == 14.0


def test_threads_never_exceed_the_limit_and_a_full_limit_does_not_hang() -> None:
    limit = WriteLimit(1)  # a window of 4
    seen: list[int] = []

    def work() -> None:
        with limit.slot(timeout=5):
            seen.append(limit.in_flight)
            time.sleep(0.02)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert max(seen) <= 4 and limit.peak == 4 and limit.in_flight == 0
    with limit.slot(timeout=5), limit.slot(timeout=5), limit.slot(timeout=5), limit.slot(timeout=5), limit.slot(0.05):
        assert limit.in_flight == 5  # waited its bound, then went: a limit never becomes a hang


@responses.activate
def test_overload_answers_shrink_the_clients_limit_and_every_point_is_stored() -> None:
    stored: list[int] = []
    answers = iter([400, 400, 200] + [200] * 50)

    def batch(request: responses.PreparedRequest) -> tuple[int, dict[str, str], str]:
        status = next(answers)
        if status != 200:
            return status, {}, json.dumps(QUEUE_POOL)
        stored.extend(m["step"] for m in json.loads(request.body)["metrics"])
        return 200, {}, "{}"

    responses.add_callback(responses.POST, f"{BASE}/api/2.0/mlflow/runs/log-batch", callback=batch)
    client = MlflowClient(BASE, backoff_factor=0.0, backoff_jitter=0.0, max_retries=5, batch_concurrency=2)
    limit = client._transport.write_limit
    assert limit.ceiling == 8
    metrics = [models.Metric(key="m", value=float(i), timestamp=1, step=i) for i in range(3000)]
    client.runs.log_batch(run_id="r" * 32, metrics=metrics)
    assert sorted(stored) == list(range(3000))
    assert limit.decreases == 2 and limit.limit < 8
