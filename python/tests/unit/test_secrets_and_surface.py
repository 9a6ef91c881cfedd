"""Credentials never show; the package's surface is discoverable and never raises by itself."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys

import pytest
import requests
import responses

import mlflowrest
from mlflowrest import InvalidParameterValueError, MlflowClient, TransportError, start_run

RUN = {"info": {"run_id": "r1", "experiment_id": "0", "status": "RUNNING"}, "data": {}}


@responses.activate
def test_credentials_in_the_uri_become_basic_auth_and_are_never_shown() -> None:
    client = MlflowClient("http://alice:s3cr%40t@mlflow.test:5000", max_retries=0)
    assert client.config.tracking_uri == "http://mlflow.test:5000"
    assert (client.config.username, client.config.password) == ("alice", "s3cr@t")
    responses.post("http://mlflow.test:5000/api/2.0/mlflow/runs/create", json={"run": RUN})
    responses.post("http://mlflow.test:5000/api/2.0/mlflow/runs/update", json={})
    with start_run(client=client) as run:
        url = run.url
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Basic YWxpY2U6czNjckB0"  # alice:s3cr@t
    assert "mlflow.test:5000" in sent.url and "alice" not in sent.url
    responses.get("http://mlflow.test:5000/api/2.0/mlflow/runs/get", body=requests.ConnectionError("refused"))
    with pytest.raises(TransportError) as info:
        client.runs.get(run_id="r1")
    for text in (repr(client), str(client.config), url, str(info.value)):
        assert "s3cr" not in text and "alice" not in text


@pytest.mark.parametrize("token", ["abc123\n", " abc123", "abc\r\nX-Evil: 1", "ab\x00c"])
def test_a_bad_header_value_is_a_typed_error_that_does_not_echo_it(token: str) -> None:
    with pytest.raises(InvalidParameterValueError) as info:
        MlflowClient("http://mlflow.test", token=token)
    assert info.value.field == "token" and "abc" not in str(info.value) and "ab" not in repr(info.value.args)


def test_a_bad_token_from_the_environment_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "secret-token\n")
    with pytest.raises(InvalidParameterValueError) as info:
        MlflowClient("http://mlflow.test")
    assert "secret-token" not in str(info.value)


def test_dir_lists_the_exports() -> None:
    listed = dir(mlflowrest)
    assert set(mlflowrest.__all__) <= set(listed)
    fresh = subprocess.run([sys.executable, "-c", "import mlflowrest, json; print(json.dumps(dir(mlflowrest)))"],
                           capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert {"MlflowClient", "start_run", "InvalidParameterValueError"} <= set(json.loads(fresh.stdout))


@responses.activate
def test_mlflow_user_comes_from_getpass(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("USER", "USERNAME", "LOGNAME", "LNAME"):
        monkeypatch.delenv(name, raising=False)  # a container: no variables, only the uid
    monkeypatch.setattr(getpass, "getuser", lambda: "uid-user")
    responses.post("http://mlflow.test/api/2.0/mlflow/runs/create", json={"run": RUN})
    responses.post("http://mlflow.test/api/2.0/mlflow/runs/update", json={})
    with start_run(client=MlflowClient("http://mlflow.test")):
        pass
    tags = {t["key"]: t["value"] for t in json.loads(responses.calls[0].request.body)["tags"]}
    assert tags["mlflow.user"] == "uid-user"


@responses.activate
def test_no_user_at_all_does_not_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("USER", "USERNAME", "LOGNAME", "LNAME"):
        monkeypatch.delenv(name, raising=False)

    def no_user() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")

    monkeypatch.setattr(getpass, "getuser", no_user)
    responses.post("http://mlflow.test/api/2.0/mlflow/runs/create", json={"run": RUN})
    responses.post("http://mlflow.test/api/2.0/mlflow/runs/update", json={})
    with start_run(client=MlflowClient("http://mlflow.test")):
        pass
    tags = {t["key"] for t in json.loads(responses.calls[0].request.body)["tags"]}
    assert "mlflow.user" not in tags
