"""max_results is the most results a search yields (as in MLflow's own clients); page_size is
what each request asks for."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses

from mlflowrest import InvalidParameterValueError, MlflowClient

BASE = "http://mlflow.test"
SEARCH_RUNS = f"{BASE}/api/2.0/mlflow/runs/search"


def pages_of(total: int) -> Any:
    """A server holding `total` runs, answering page_token = offset."""

    def answer(request: responses.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        start = int(body.get("page_token") or 0)
        size = int(body.get("max_results", 1000))
        end = min(start + size, total)
        runs = [{"info": {"run_id": f"r{i}"}} for i in range(start, end)]
        return 200, {}, json.dumps({"runs": runs, **({"next_page_token": str(end)} if end < total else {})})

    return answer


@responses.activate
def test_max_results_yields_at_most_that_many(offline: MlflowClient) -> None:
    responses.add_callback(responses.POST, SEARCH_RUNS, callback=pages_of(251))
    runs = offline.runs.search(experiment_ids=["0"], max_results=5).to_list()
    assert [r.info.run_id for r in runs if r.info] == [f"r{i}" for i in range(5)]
    assert len(responses.calls) == 1


@responses.activate
def test_page_size_is_a_separate_knob(offline: MlflowClient) -> None:
    responses.add_callback(responses.POST, SEARCH_RUNS, callback=pages_of(251))
    runs = list(offline.runs.search(experiment_ids=["0"], max_results=25, page_size=10))
    assert len(runs) == 25 and len(responses.calls) == 3  # 10 + 10 + 5 of the third page
    assert [json.loads(c.request.body)["max_results"] for c in responses.calls] == [10, 10, 10]


@responses.activate
def test_without_max_results_every_page_is_walked(offline: MlflowClient) -> None:
    responses.add_callback(responses.POST, SEARCH_RUNS, callback=pages_of(251))
    assert len(offline.runs.search(experiment_ids=["0"], page_size=100).to_list()) == 251
    assert len(responses.calls) == 3


def test_bad_sizes_are_refused_before_sending(offline: MlflowClient) -> None:
    with responses.RequestsMock():
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.search(experiment_ids=["0"], page_size=0)
        assert info.value.field == "page_size"
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.search(experiment_ids=["0"], max_results=-1)
        assert info.value.field == "max_results"
