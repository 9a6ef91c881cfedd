"""Idempotency keys against a real server: retried and concurrent starts make one run."""

from __future__ import annotations

import threading
import uuid

import pytest

import mlflowrest
from mlflowrest import InvalidParameterValueError, MlflowClient
from mlflowrest.resources._idempotency import IDEMPOTENCY_KEY_TAG


def _runs_with_key(client: MlflowClient, exp: str, key: str) -> list[mlflowrest.models.Run]:
    return list(
        client.runs.search(
            experiment_ids=[exp], filter=f"tags.`{IDEMPOTENCY_KEY_TAG}` = '{key}'", run_view_type="ACTIVE_ONLY"
        )
    )


def test_retried_task_resumes_its_run_and_a_finished_one_is_left_alone(live: MlflowClient) -> None:
    exp = live.experiments.get_or_create(f"idem-{uuid.uuid4().hex[:8]}")
    key = "job-1/group-7"
    first_try = mlflowrest.start_run(experiment_id=exp, idempotency_key=key, client=live)
    with pytest.raises(RuntimeError), first_try as first:
        first.log_param("alpha", "0.5")
        first.log_metric("loss", 1.0, step=0, timestamp=1000)
        raise RuntimeError("executor lost")
    assert live.runs.get(run_id=first.run_id).run.info.status == "FAILED"

    with mlflowrest.start_run(experiment_id=exp, idempotency_key=key, client=live) as second:
        assert second.resumed and not second.already_finished
        assert second.run_id == first.run_id
        assert live.runs.get(run_id=second.run_id).run.info.status == "RUNNING"
        second.log_param("alpha", "0.5")  # the same value again is accepted
        second.log_metric("loss", 1.0, step=0, timestamp=1000)  # stored once
        second.log_metric("loss", 0.5, step=1, timestamp=2000)
    done = live.runs.get(run_id=first.run_id).run
    assert done.info.status == "FINISHED"
    history = list(live.metrics.get_history(run_id=first.run_id, metric_key="loss"))
    assert sorted((m.step, m.value) for m in history) == [(0, 1.0), (1, 0.5)]

    with mlflowrest.start_run(experiment_id=exp, idempotency_key=key, client=live) as third:
        assert third.already_finished and third.run_id == first.run_id
    again = live.runs.get(run_id=first.run_id).run
    assert again.info.status == "FINISHED" and again.info.end_time == done.info.end_time
    assert len(_runs_with_key(live, exp, key)) == 1

    # The resource API gives the same answer, and other keys make other runs.
    assert live.runs.create(experiment_id=exp, idempotency_key=key).run.info.run_id == first.run_id
    other = live.runs.create(experiment_id=exp, idempotency_key="job-1/group-8").run.info.run_id
    assert other != first.run_id


def test_concurrent_starters_with_one_key_end_with_one_run(server_url: str) -> None:
    exp = MlflowClient(server_url).experiments.get_or_create(f"idem-race-{uuid.uuid4().hex[:8]}")
    starters, keys = 8, ["speculative/a", "speculative/b"]
    got: dict[str, list[str]] = {k: [] for k in keys}
    barrier = threading.Barrier(starters * len(keys))
    lock = threading.Lock()

    def start(key: str) -> None:
        client = MlflowClient(server_url)
        barrier.wait(timeout=60)
        run = client.runs.start_or_resume(experiment_id=exp, idempotency_key=key).run
        with lock:
            got[key].append(run.info.run_id)

    threads = [threading.Thread(target=start, args=(k,)) for k in keys for _ in range(starters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    check = MlflowClient(server_url)
    for key in keys:
        assert len(got[key]) == starters
        assert len(set(got[key])) == 1, f"{key}: starters got {len(set(got[key]))} different runs"
        active = _runs_with_key(check, exp, key)
        assert [r.info.run_id for r in active] == [got[key][0]]


@pytest.mark.parametrize("bad", ["", "it's", 'a"b', "back\\slash", "x" * 251, "tab\there"])
def test_bad_idempotency_key_is_a_typed_error_naming_the_field(offline: MlflowClient, bad: str) -> None:
    with pytest.raises(InvalidParameterValueError) as err:
        offline.runs.start_or_resume(experiment_id="0", idempotency_key=bad)
    assert err.value.field == "idempotency_key"
