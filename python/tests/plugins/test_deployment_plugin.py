"""The `mlflowrest-local` deployment target, driven the way users drive it: the `mlflow deployments`
CLI and `mlflow.deployments.get_deploy_client`, against models registered on the harness server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import free_port

pytestmark = pytest.mark.usefixtures("official")


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    """A fresh state folder; whatever a test leaves running is stopped afterwards."""
    from mlflowrest.plugins.deployments import Target

    uri = f"mlflowrest-local:{tmp_path / 'deployments'}"
    yield uri
    state = Target(uri)
    for dep in state.list_all():
        state.delete(dep["name"])


def mlflow_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "mlflow", *args]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mlflow_cli("deployments", *args), capture_output=True, text=True, timeout=300)


def alive(pid: int) -> bool:
    from mlflowrest.plugins.deployments import _alive

    return _alive(pid)


def test_entry_points_are_registered() -> None:
    from importlib.metadata import entry_points

    assert "mlflowrest-local" in {ep.name for ep in entry_points(group="mlflow.deployments")}
    assert "mlflowrest" in {ep.name for ep in entry_points(group="mlflow.request_header_provider")}


def test_importing_the_plugins_does_not_import_mlflow() -> None:
    code = ("import sys, mlflowrest, mlflowrest.plugins.deployments, mlflowrest.plugins.request_headers; "
            "loaded = sorted(m for m in sys.modules if m == 'mlflow' or m.startswith('mlflow.')); "
            "assert not loaded, loaded")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_cli_create_predict_list_get_delete(target: str, registered: dict[str, str], tmp_path: Path) -> None:
    created = cli("create", "-t", target, "--name", "affine", "-m", registered["v1"])
    assert created.returncode == 0, created.stderr
    assert "python_function deployment affine is created" in created.stdout

    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([{"x": 1.0}, {"x": 2.5}]))
    predicted = cli("predict", "-t", target, "--name", "affine", "--input-path", str(rows))
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout.strip().splitlines()[-1]) == {"predictions": [3.0, 6.0]}

    listed = cli("list", "-t", target)
    assert listed.returncode == 0, listed.stderr
    assert "affine" in listed.stdout

    got = cli("get", "-t", target, "--name", "affine")
    assert got.returncode == 0, got.stderr
    assert "running" in got.stdout and registered["v1"] in got.stdout
    record = json.loads((tmp_path / "deployments" / "affine.json").read_text())
    assert alive(record["pid"])

    deleted = cli("delete", "-t", target, "--name", "affine")
    assert deleted.returncode == 0, deleted.stderr
    assert not alive(record["pid"])
    assert not (tmp_path / "deployments" / "affine.json").exists()

    unknown = cli("get", "-t", target, "--name", "affine")
    assert unknown.returncode != 0
    assert "no deployment named 'affine'" in unknown.stderr


def test_python_client_create_update_predict_delete(target: str, registered: dict[str, str]) -> None:
    import pandas as pd
    from mlflow.deployments import get_deploy_client
    from mlflow.exceptions import MlflowException

    client = get_deploy_client(target)
    first = client.create_deployment("affine", registered["v1"])
    assert first["status"] == "running" and first["flavor"] == "python_function"
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert client.predict("affine", frame)["predictions"] == [3.0, 5.0]
    assert client.predict("affine", [{"x": 10.0}]).get_predictions()[0].tolist() == [21.0]

    with pytest.raises(MlflowException, match="already exists") as exists:
        client.create_deployment("affine", registered["v2"])
    assert exists.value.error_code == "RESOURCE_ALREADY_EXISTS"

    # update: the new server is up before the old one stops
    second = client.update_deployment("affine", model_uri=registered["v2"])
    assert second["model_uri"] == registered["v2"] and second["pid"] != first["pid"]
    assert not alive(first["pid"]) and alive(second["pid"])
    assert client.predict("affine", frame)["predictions"] == [3.0, 6.0]
    assert [d["name"] for d in client.list_deployments()] == ["affine"]
    assert client.get_deployment("affine")["url"] == f"http://127.0.0.1:{second['port']}"

    client.delete_deployment("affine")
    client.delete_deployment("affine")  # mlflow's contract: deleting is idempotent
    assert client.list_deployments() == []
    assert not alive(second["pid"])


def test_update_on_a_fixed_port_keeps_the_port(target: str, registered: dict[str, str]) -> None:
    import pandas as pd
    from mlflow.deployments import get_deploy_client
    from mlflow.exceptions import MlflowException

    client = get_deploy_client(target)
    port = free_port()
    first = client.create_deployment("fixed", registered["v1"], config={"port": str(port)})
    assert first["url"] == f"http://127.0.0.1:{port}"
    second = client.update_deployment("fixed", model_uri=registered["v2"])
    assert second["port"] == port and second["pid"] != first["pid"] and not alive(first["pid"])
    assert client.predict("fixed", pd.DataFrame({"x": [2.0]}))["predictions"] == [6.0]

    # a new model that fails to load: the error is raised and the previous model serves again
    with pytest.raises(MlflowException, match="failed to load"):
        client.update_deployment("fixed", model_uri=registered["broken"])
    restored = client.get_deployment("fixed")
    assert restored["status"] == "running" and restored["model_uri"] == registered["v2"]
    assert client.predict("fixed", pd.DataFrame({"x": [2.0]}))["predictions"] == [6.0]


def test_unknown_deployments_and_bad_input_are_clear_errors(target: str, registered: dict[str, str]) -> None:
    from mlflow.deployments import get_deploy_client
    from mlflow.exceptions import MlflowException

    client = get_deploy_client(target)
    for call in (lambda: client.get_deployment("nope"), lambda: client.predict("nope", [{"x": 1.0}]),
                 lambda: client.update_deployment("nope", registered["v1"])):  # fmt: skip
        with pytest.raises(MlflowException, match=r"no deployment named 'nope' at mlflowrest-local:") as info:
            call()
        assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException, match="serves the python_function flavor only"):
        client.create_deployment("x", registered["v1"], flavor="sklearn")
    with pytest.raises(MlflowException, match="deployment name"):
        client.create_deployment("../escape", registered["v1"])

    client.create_deployment("affine", registered["v1"])
    with pytest.raises(MlflowException, match="answered 400") as rejected:
        client.predict("affine", [{"y": 1.0}])  # no column x: the model server rejects it
    assert rejected.value.error_code == "INVALID_PARAMETER_VALUE"


def test_a_model_that_fails_to_load_is_reported_and_not_kept(
    target: str, registered: dict[str, str], tmp_path: Path
) -> None:
    from mlflow.deployments import get_deploy_client
    from mlflow.exceptions import MlflowException

    client = get_deploy_client(target)
    with pytest.raises(MlflowException, match="failed to load") as info:
        client.create_deployment("broken", registered["broken"])
    assert "weights file is corrupt" in info.value.message
    assert client.list_deployments() == []

    missing = registered["v1"].rsplit("/", 1)[0] + "/999"
    via_cli = cli("create", "-t", target, "--name", "missing", "-m", missing)
    assert via_cli.returncode != 0
    assert "failed to load" in via_cli.stderr and "999" in via_cli.stderr
    assert client.list_deployments() == []


def test_run_local_serves_in_the_foreground(registered: dict[str, str]) -> None:
    port = free_port()
    proc = subprocess.Popen(
        mlflow_cli("deployments", "run-local", "-t", "mlflowrest-local", "--name", "fg", "-m", registered["v1"],
                   "-C", f"port={port}"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "run-local never answered /ping"
                time.sleep(0.5)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations", data=json.dumps({"dataframe_records": [{"x": 4.0}]}).encode(),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.loads(response.read()) == {"predictions": [9.0]}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_target_help_names_the_config_options() -> None:
    shown = cli("help", "-t", "mlflowrest-local")
    assert shown.returncode == 0, shown.stderr
    assert "startup_timeout" in shown.stdout and "mlflowrest-local:/path/to/folder" in shown.stdout
