from __future__ import annotations

import json

import pytest
import requests
import responses

from mlflowrest import (
    ApiError,
    InvalidParameterValueError,
    MlflowClient,
    MlflowError,
    PermissionDeniedError,
    RateLimitedError,
    ResourceDoesNotExistError,
    ServerError,
    TransportError,
    UnauthenticatedError,
    UnexpectedResponseError,
)

BASE = "http://mlflow.test"  # the offline fixture's base URL

GET_RUN = f"{BASE}/api/2.0/mlflow/runs/get"
LOG_METRIC = f"{BASE}/api/2.0/mlflow/runs/log-metric"
CREATE_RUN = f"{BASE}/api/2.0/mlflow/runs/create"
SEARCH_RUNS = f"{BASE}/api/2.0/mlflow/runs/search"
RUN = {"info": {"run_id": "r1", "experiment_id": "0", "status": "RUNNING"}, "data": {}}


@responses.activate
def test_retries_5xx_then_succeeds(offline: MlflowClient) -> None:
    responses.get(GET_RUN, status=503, body="<html>busy</html>", content_type="text/html")
    responses.get(GET_RUN, status=502)
    responses.get(GET_RUN, json={"run": RUN})
    run = offline.runs.get(run_id="r1").run
    assert run is not None and run.info is not None and run.info.run_id == "r1"
    assert len(responses.calls) == 3


@responses.activate
def test_never_retries_4xx(offline: MlflowClient) -> None:
    responses.get(GET_RUN, status=404, json={"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run x not found"})
    with pytest.raises(ResourceDoesNotExistError) as info:
        offline.runs.get(run_id="x")
    assert len(responses.calls) == 1
    err = info.value
    assert (err.http_status, err.error_code, err.method, err.path) == (
        404, "RESOURCE_DOES_NOT_EXIST", "GET", "/api/2.0/mlflow/runs/get",
    )  # fmt: skip
    assert "Run x not found" in str(err)


@responses.activate
def test_honours_retry_after_and_gives_up_typed(offline: MlflowClient) -> None:
    slept: list[float] = []
    offline._transport.sleep = slept.append
    for _ in range(4):
        responses.post(
            LOG_METRIC, status=429, headers={"Retry-After": "2"}, json={"error_code": "REQUEST_LIMIT_EXCEEDED"}
        )
    with pytest.raises(RateLimitedError):
        offline.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=1, step=0)
    assert slept == [2.0, 2.0, 2.0]  # max_retries=3 in the fixture
    assert len(responses.calls) == 4


@responses.activate
def test_backoff_grows_exponentially() -> None:
    client = MlflowClient(BASE, backoff_factor=0.5, backoff_jitter=0.0, max_retries=3)
    slept: list[float] = []
    client._transport.sleep = slept.append
    for _ in range(4):
        responses.get(GET_RUN, status=500, json={"error_code": "INTERNAL_ERROR", "message": "boom"})
    with pytest.raises(ServerError):
        client.runs.get(run_id="r1")
    assert slept == [0.5, 1.0, 2.0]


@responses.activate
def test_connection_errors_are_retried_then_typed(offline: MlflowClient) -> None:
    for _ in range(4):
        responses.get(GET_RUN, body=requests.ConnectionError("Connection refused"))
    with pytest.raises(TransportError) as info:
        offline.runs.get(run_id="r1")
    assert not isinstance(info.value, ApiError)
    assert len(responses.calls) == 4


@responses.activate
def test_html_401_maps_to_unauthenticated_and_403_text(offline: MlflowClient) -> None:
    responses.get(GET_RUN, status=401, body="<html><body>You are not authenticated</body></html>",
                  headers={"WWW-Authenticate": 'Basic realm="mlflow"'}, content_type="text/html")  # fmt: skip
    with pytest.raises(UnauthenticatedError) as info:
        offline.runs.get(run_id="r1")
    assert info.value.http_status == 401 and "not authenticated" in info.value.message
    responses.get(GET_RUN, status=403, body="Invalid Host header", content_type="text/plain")
    with pytest.raises(PermissionDeniedError):
        offline.runs.get(run_id="r1")


@responses.activate
def test_html_or_truncated_success_body_is_typed(offline: MlflowClient) -> None:
    responses.get(GET_RUN, body="<html>proxy login</html>", content_type="text/html")
    with pytest.raises(UnexpectedResponseError, match="proxy login"):
        offline.runs.get(run_id="r1")
    responses.get(GET_RUN, body='{"run": {"info": {"run_id": "r', content_type="application/json")
    with pytest.raises(UnexpectedResponseError):
        offline.runs.get(run_id="r1")


@responses.activate
def test_nan_and_infinity_travel_as_strings(offline: MlflowClient) -> None:
    responses.post(LOG_METRIC, json={})
    for value in (float("nan"), float("inf"), float("-inf")):
        offline.runs.log_metric(run_id="r1", key="m", value=value, timestamp=1, step=0)
    sent = [json.loads(c.request.body)["value"] for c in responses.calls]
    assert sent == ["NaN", "Infinity", "-Infinity"]


def test_bad_input_is_rejected_before_sending(offline: MlflowClient) -> None:
    with responses.RequestsMock() as mock:  # any request would fail: none is registered
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.log_param(run_id="r1", key="k", value="x" * 6001)
        assert info.value.field == "value" and info.value.limit == "max_length=6000"
        with pytest.raises(InvalidParameterValueError) as info:
            offline.runs.log_metric(run_id="r1", key="a" * 251, value=1.0, timestamp=1)
        assert info.value.field == "key" and "250" in str(info.value)
        assert len(mock.calls) == 0


@responses.activate
def test_create_run_retry_returns_the_run_the_first_try_made(offline: MlflowClient) -> None:
    responses.post(CREATE_RUN, body=requests.ConnectionError("Connection aborted: reset by peer"))
    responses.post(SEARCH_RUNS, json={"runs": [RUN]})
    created = offline.runs.create(experiment_id="0")
    assert created.run is not None and created.run.info is not None and created.run.info.run_id == "r1"
    kinds = [c.request.url.rsplit("/", 1)[-1] for c in responses.calls]
    assert kinds == ["create", "search"]  # found by its request id: no second create
    search = json.loads(responses.calls[1].request.body)
    sent_tag = json.loads(responses.calls[0].request.body)["tags"][-1]
    assert sent_tag["key"] == "mlflow.mlflowrest.requestId" and sent_tag["value"] in search["filter"]


@responses.activate
def test_never_operation_is_not_blindly_retried(offline: MlflowClient) -> None:
    url = f"{BASE}/api/2.0/mlflow/webhooks/w1/test"
    responses.post(url, status=503)
    with pytest.raises(ServerError):
        offline.webhooks.test(webhook_id="w1")
    assert len(responses.calls) == 1  # family-rules.yaml: testWebhook is `never` (it delivers an event)


MV = {"name": "m", "version": "3", "tags": [{"key": "mlflow.mlflowrest.requestId", "value": "X"}]}


@responses.activate
@pytest.mark.parametrize("legacy", [False, True])
def test_every_recover_create_finds_what_its_lost_first_try_made(offline: MlflowClient, legacy: bool) -> None:
    """Each recover-by-request-id create of family-rules.yaml: first answer lost (a 502 after the
    request landed), the lookup finds the entity, no second create is sent."""
    api = f"{BASE}/api/2.0/mlflow"
    key = "mlflowrest.request_id" if legacy else "mlflow.mlflowrest.requestId"

    def tagged(request: requests.PreparedRequest) -> str:
        body = json.loads(request.body or "{}")
        tags = body.get("tags") or []
        return json.loads(tags)["mlflow.mlflowrest.requestId"] if isinstance(tags, str) else tags[-1]["value"]

    sent: dict[str, str] = {}

    def lost(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        sent["id"] = tagged(request)
        return 502, {}, "<html>bad gateway</html>"

    def with_id(body: dict) -> tuple[int, dict[str, str], str]:
        return 200, {}, json.dumps(body).replace("ID", sent["id"]).replace("KEY", key)

    tags = [{"key": "KEY", "value": "ID"}]
    cases = [
        ("POST", f"{api}/registered-models/create", ("GET", f"{api}/registered-models/get"),
         {"registered_model": {"name": "m", "tags": tags}},
         lambda: offline.registered_models.create(name="m").registered_model.name, "m"),
        ("POST", f"{api}/model-versions/create", ("GET", f"{api}/model-versions/search"),
         {"model_versions": [{"name": "m", "version": "3", "tags": tags}]},
         lambda: offline.model_versions.create(name="m", source="s").model_version.version, "3"),
        ("POST", f"{api}/logged-models", ("POST", f"{api}/logged-models/search"),
         {"models": [{"info": {"model_id": "lm1", "tags": tags}}]},
         lambda: offline.logged_models.create(experiment_id="1").model.info.model_id, "lm1"),
        ("POST", f"{api}/experiments/create", ("GET", f"{api}/experiments/get-by-name"),
         {"experiment": {"experiment_id": "7", "name": "e", "tags": tags}},
         lambda: offline.experiments.create(name="e").experiment_id, "7"),
        ("POST", f"{BASE}/api/3.0/mlflow/datasets/create", ("POST", f"{BASE}/api/3.0/mlflow/datasets/search"),
         {"datasets": [{"dataset_id": "d1", "name": "d", "tags": json.dumps({"KEY": "ID"})}]},
         lambda: offline.datasets.create(name="d", experiment_ids=["1"]).dataset.dataset_id, "d1"),
    ]  # fmt: skip
    for method, create_url, (find_method, find_url), found, call, expected in cases:
        responses.reset()
        responses.add_callback(method, create_url, callback=lost)
        responses.add_callback(find_method, find_url, callback=lambda _r, found=found: with_id(found))
        assert call() == expected
        creates = [c for c in responses.calls if c.request.url.split("?")[0] == create_url]
        assert len(creates) == 1, create_url


@responses.activate
def test_webhook_create_recovers_the_hook_its_first_try_made(offline: MlflowClient) -> None:
    url = f"{BASE}/api/2.0/mlflow/webhooks"
    old = {"webhook_id": "old", "name": "h", "url": "https://e.example/x"}
    new = {"webhook_id": "new", "name": "h", "url": "https://e.example/x"}
    responses.get(url, json={"webhooks": [old]})  # before the first try
    responses.post(url, body=requests.ConnectionError("Connection aborted: reset by peer"))
    responses.get(url, json={"webhooks": [old, new]})
    hook = offline.webhooks.create(name="h", url="https://e.example/x", events=[])
    assert hook.webhook is not None and hook.webhook.webhook_id == "new"
    assert [c.request.method for c in responses.calls] == ["GET", "POST", "GET"]


@responses.activate
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error_code": "BAD_REQUEST", "message": "(sqlalchemy.exc.TimeoutError) QueuePool limit of size 5 "
                                                       "overflow 10 reached, connection timed out, timeout 30.00"}),
        (500, {"error_code": "INTERNAL_ERROR", "message": "(sqlite3.OperationalError) database is locked"}),
        (400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "(sqlite3.OperationalError) database is locked"}),
        (503, "<html><body>no healthy upstream</body></html>"),
        (504, "<html><body>504 Gateway Time-out</body></html>"),
    ],
)  # fmt: skip
def test_overload_answers_are_retried_then_succeed(offline: MlflowClient, status: int, body: object) -> None:
    as_json = isinstance(body, dict)
    responses.post(LOG_METRIC, status=status, json=body if as_json else None, body=None if as_json else str(body))
    responses.post(LOG_METRIC, json={})
    offline.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=1)
    assert len(responses.calls) == 2


POOL_TIMEOUT = {"error_code": "BAD_REQUEST", "message": "QueuePool limit of size 5 overflow 10 reached"}


@responses.activate
def test_overload_outlives_max_retries_until_overload_timeout() -> None:
    """64 writers on a --workers 1 server: a batch refused for load more than max_retries times is
    still stored, because overload answers are bounded by time (family-rules.yaml, retry.overload)."""
    client = MlflowClient(BASE, max_retries=2, backoff_factor=1.0, backoff_jitter=0.0, overload_timeout=100.0)
    slept: list[float] = []
    client._transport.sleep = slept.append
    for _ in range(6):
        responses.post(LOG_METRIC, status=400, json=POOL_TIMEOUT)
    responses.post(LOG_METRIC, json={})
    client.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=1)
    assert len(responses.calls) == 7
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]  # 63 s waited, under the 100 s budget


@responses.activate
def test_overload_gives_up_typed_once_overload_timeout_has_passed() -> None:
    client = MlflowClient(BASE, max_retries=2, backoff_factor=1.0, backoff_jitter=0.0, overload_timeout=20.0)
    slept: list[float] = []
    client._transport.sleep = slept.append
    responses.post(LOG_METRIC, status=400, json=POOL_TIMEOUT)
    with pytest.raises(InvalidParameterValueError) as info:
        client.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=1)
    assert "QueuePool" in str(info.value)
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0]  # the budget is spent after 31 s, not after 2 retries
    assert len(responses.calls) == 6


@responses.activate
@pytest.mark.parametrize(("overload_timeout", "body", "status"), [
    (0.0, POOL_TIMEOUT, 400),  # 0: overload answers count like any other failure
    (100.0, {"error_code": "INTERNAL_ERROR", "message": "boom"}, 500),  # not an overload answer
    (100.0, {}, 503),  # a proxy's 503 may be an outage: max_retries, then the journal's
])  # fmt: skip
def test_only_overload_answers_outlive_max_retries(overload_timeout: float, body: object, status: int) -> None:
    client = MlflowClient(BASE, max_retries=2, backoff_jitter=0.0, overload_timeout=overload_timeout)
    client._transport.sleep = lambda _: None
    responses.post(LOG_METRIC, status=status, json=body)
    with pytest.raises(MlflowError):
        client.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=1)
    assert len(responses.calls) == 3


@responses.activate
def test_retries_off_means_no_retry_even_for_overload() -> None:
    client = MlflowClient(BASE, max_retries=0, overload_timeout=100.0)
    client._transport.sleep = lambda _: None
    responses.post(LOG_METRIC, status=400, json=POOL_TIMEOUT)
    with pytest.raises(InvalidParameterValueError):
        client.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=1)
    assert len(responses.calls) == 1


@responses.activate
def test_a_plain_400_is_still_final(offline: MlflowClient) -> None:
    responses.post(LOG_METRIC, status=400, json={"error_code": "BAD_REQUEST", "message": "bad key"})
    with pytest.raises(InvalidParameterValueError):
        offline.runs.log_metric(run_id="r1", key="m", value=1.0, timestamp=1)
    assert len(responses.calls) == 1


@responses.activate
def test_redirects_are_errors_and_not_followed(offline: MlflowClient) -> None:
    responses.get(GET_RUN, status=302, headers={"Location": "https://sso.example/login?next=x"})
    with pytest.raises(UnexpectedResponseError) as info:
        offline.runs.get(run_id="r1")
    assert info.value.http_status == 302 and "sso.example/login" in str(info.value) and "next=x" not in str(info.value)
    assert len(responses.calls) == 1


@responses.activate
def test_error_code_wins_over_a_disagreeing_status(offline: MlflowClient) -> None:
    responses.get(GET_RUN, status=500, json={"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"})
    with pytest.raises(ResourceDoesNotExistError):
        offline.runs.get(run_id="r1")


@responses.activate
def test_secrets_never_in_repr_or_errors() -> None:
    client = MlflowClient(BASE, token="tok-SECRET-123", max_retries=0)
    basic = MlflowClient(BASE, username="u", password="pw-SECRET-456", max_retries=0)
    responses.get(GET_RUN, status=401, body="denied")
    for c, secret in ((client, "tok-SECRET-123"), (basic, "pw-SECRET-456")):
        assert secret not in repr(c) and secret not in repr(c.config)
        with pytest.raises(UnauthenticatedError) as info:
            c.runs.get(run_id="r1")
        assert secret not in str(info.value) and secret not in repr(info.value)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-SECRET-123"
    assert responses.calls[1].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_pagination_walks_every_page(offline: MlflowClient) -> None:
    url = f"{BASE}/api/2.0/mlflow/experiments/search"
    responses.post(url, json={"experiments": [{"experiment_id": "1"}], "next_page_token": "t2"})
    responses.post(url, json={"experiments": [{"experiment_id": "2"}, {"experiment_id": "3"}]})
    ids = [e.experiment_id for e in offline.experiments.search(page_size=1)]
    assert ids == ["1", "2", "3"]
    assert json.loads(responses.calls[0].request.body)["max_results"] == 1
    assert json.loads(responses.calls[1].request.body)["page_token"] == "t2"


@responses.activate
def test_header_provider_plugins_add_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed plugins (entry-point group mlflowrest.request_header_providers) add headers."""
    import mlflowrest._transport as transport

    class SsoHeaders:
        def in_context(self) -> bool:
            return True

        def request_headers(self) -> dict[str, str]:
            return {"X-SSO-Ticket": "t-1"}

    class Broken:
        def in_context(self) -> bool:
            raise RuntimeError("plugin bug")

        def request_headers(self) -> dict[str, str]:
            return {}

    class EntryPoint:
        def __init__(self, cls: type) -> None:
            self.name, self._cls = cls.__name__, cls

        def load(self) -> type:
            return self._cls

    monkeypatch.setattr(transport, "entry_points", lambda group: [EntryPoint(SsoHeaders), EntryPoint(Broken)])
    client = MlflowClient(BASE, max_retries=0)
    responses.get(GET_RUN, json={"run": RUN})
    client.runs.get(run_id="r1")
    assert responses.calls[0].request.headers["X-SSO-Ticket"] == "t-1"  # and the broken one did not break it
