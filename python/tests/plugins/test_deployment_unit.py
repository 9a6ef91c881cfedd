"""The deployment target's pure parts: where state lives, what predict sends, what is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlflowrest.plugins import deployments


def test_target_uri_names_the_state_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert deployments.Target("mlflowrest-local:/srv/deploy").dir == Path("/srv/deploy")
    monkeypatch.setenv(deployments.STATE_ENV, str(tmp_path))
    assert deployments.Target("mlflowrest-local").dir == tmp_path
    monkeypatch.delenv(deployments.STATE_ENV)
    assert deployments.Target("mlflowrest-local").dir == Path.home() / ".mlflowrest" / "deployments"


def test_predict_payloads() -> None:
    import pandas as pd

    frame = pd.DataFrame({"x": [1.5, 2.0], "city": ["a", "b"]})
    assert deployments._payload(frame) == {
        "dataframe_split": {"columns": ["x", "city"], "data": [[1.5, "a"], [2.0, "b"]]}
    }
    assert deployments._payload([{"x": 1}]) == {"dataframe_records": [{"x": 1}]}
    ready = {"inputs": [[1, 2]]}
    assert deployments._payload(ready) is ready
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException, match="predict takes a pandas DataFrame"):
        deployments._payload("x=1")


def test_only_known_config_keys_are_recorded_and_ports_are_integers() -> None:
    from mlflow.exceptions import MlflowException

    assert deployments._options({"port": "5005", "colour": "blue", "startup_timeout": ""}) == {"port": "5005"}
    assert deployments._int_option({"port": "5005"}, "port") == 5005
    with pytest.raises(MlflowException, match="port='high' is not an integer"):
        deployments._int_option({"port": "high"}, "port")


def test_a_pid_that_is_not_our_server_is_not_alive() -> None:
    import os

    assert not deployments._alive(os.getpid())  # alive, but not a model server: never signalled
    assert not deployments._alive(2**22 + 12345)  # no such process
