"""Bad input is refused before the first request, named by the caller's field and index."""

from __future__ import annotations

import json

import pytest
import responses

from mlflowrest import InvalidParameterValueError, MlflowClient, models, start_run

BASE = "http://mlflow.test"
LOG_BATCH = f"{BASE}/api/2.0/mlflow/runs/log-batch"
LOG_METRIC = f"{BASE}/api/2.0/mlflow/runs/log-metric"
CREATE_RUN = f"{BASE}/api/2.0/mlflow/runs/create"
RUN = {"info": {"run_id": "r1", "experiment_id": "0", "status": "RUNNING"}, "data": {}}
INT64_MAX = 2**63 - 1


@pytest.mark.parametrize("field", ["step", "timestamp"])
@pytest.mark.parametrize("value", [2**63 + 5, -(2**63) - 1])
def test_int64_fields_are_bounded_on_every_path(offline: MlflowClient, field: str, value: int) -> None:
    args = {"step": 1, "timestamp": 1_700_000_000_000, field: value}
    with responses.RequestsMock():  # nothing registered: any request fails the test
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.log_metric(run_id="r1", key="m", value=1.0, **args)
        assert info.value.field == field and str(INT64_MAX if value > 0 else -(2**63)) in str(info.value.limit)
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.log_batch(run_id="r1", metrics=[models.Metric.model_construct(key="m", value=1.0, **args)])
        assert info.value.field == f"metrics[0].{field}"
        with pytest.raises(InvalidParameterValueError) as info:
            models.Metric(key="m", value=1.0, **args)
        assert info.value.field == f"Metric.{field}"


@responses.activate
def test_int64_edges_are_accepted(offline: MlflowClient) -> None:
    responses.post(LOG_METRIC, json={})
    offline.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=INT64_MAX, step=-(2**63))
    assert json.loads(responses.calls[0].request.body)["timestamp"] == INT64_MAX


def test_fluent_log_metric_checks_int64_before_queueing(offline: MlflowClient) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(CREATE_RUN, json={"run": RUN})
        mock.post(f"{BASE}/api/2.0/mlflow/runs/update", json={})
        with start_run(client=offline, background=True) as run:
            with pytest.raises(InvalidParameterValueError) as info:
                run.log_metric("m", 1.0, step=2**63 + 5)
            assert info.value.field == "step" and "outside int64" in str(info.value)
        assert not [c for c in mock.calls if "log-batch" in c.request.url]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([(f"p{i}", "v") for i in range(150)] + [("a//b", "v")] + [(f"q{i}", "v") for i in range(49)],
         "params[150].key"),
        ([(f"p{i}", "v") for i in range(150)] + [("../up", "v")], "params[150].key"),
        ([(f"p{i}", "v") for i in range(120)] + [("p3", "other")], "params[120].key"),
    ],
)  # fmt: skip
def test_log_batch_validates_the_whole_call_before_the_first_request(
    offline: MlflowClient, params: list[tuple[str, str]], field: str
) -> None:
    sent = [models.Param.model_construct(key=k, value=v) for k, v in params]
    with responses.RequestsMock(), pytest.raises(InvalidParameterValueError) as info:  # a request would fail
        offline.runs.log_batch(run_id="r1", params=sent)
    assert info.value.field == field


@responses.activate
def test_server_errors_name_the_callers_index(offline: MlflowClient) -> None:
    """A refusal of the second request's item 7 is item 1007 of the caller's list."""
    calls = []

    def answer(request: responses.PreparedRequest) -> tuple[int, dict[str, str], str]:
        calls.append(request)
        if len(calls) == 2:
            message = "Invalid value 'x' for parameter 'metrics[7].value' supplied"
            return 400, {}, json.dumps({"error_code": "INVALID_PARAMETER_VALUE", "message": message})
        return 200, {}, "{}"

    responses.add_callback(responses.POST, LOG_BATCH, callback=answer)
    metrics = [models.Metric(key="m", value=1.0, timestamp=i, step=i) for i in range(1500)]
    with pytest.raises(InvalidParameterValueError) as info:
        offline.runs.log_batch(run_id="r1", metrics=metrics, concurrency=1)
    assert "metrics[1007].value" in str(info.value) and info.value.http_status == 400


def test_models_raise_the_family_error_not_pydantics() -> None:
    with pytest.raises(InvalidParameterValueError) as info:
        models.Param(key="bad key!", value="1")
    assert info.value.field == "Param.key" and info.value.limit is not None and "pattern" in info.value.limit
    with pytest.raises(InvalidParameterValueError):
        models.Metric(key="m", value="not a number", timestamp=0)
    assert models.Param.model_validate({"key": "ok", "value": "1"}).key == "ok"  # decoding is unchanged
