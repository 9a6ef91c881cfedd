"""Fixtures for the plugin tests: the official mlflow client pointed at the shared harness server,
and registered models to deploy (logged as models-from-code, so any process can load them)."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator

import pytest

AFFINE = textwrap.dedent("""
    import mlflow
    from mlflow.pyfunc import PythonModel

    class Affine(PythonModel):
        def load_context(self, context):
            self.scale = float(context.model_config["scale"])
            self.shift = float(context.model_config["shift"])

        def predict(self, context, model_input, params=None):
            return (model_input["x"] * self.scale + self.shift).tolist()

    mlflow.models.set_model(Affine())
""")

BROKEN = textwrap.dedent("""
    import mlflow
    from mlflow.pyfunc import PythonModel

    class Broken(PythonModel):
        def load_context(self, context):
            raise RuntimeError("weights file is corrupt")

        def predict(self, context, model_input, params=None):
            return model_input

    mlflow.models.set_model(Broken())
""")


@pytest.fixture(scope="module")
def official(server_url: str) -> Iterator[str]:
    """The official client pointed at the harness server (MLFLOW_TRACKING_URI, which child
    processes such as the `mlflow deployments` CLI inherit) for one test module."""
    before = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = server_url
    yield server_url
    if before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = before


@pytest.fixture(scope="module")
def registered(official: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Model URIs: v1 = 2x+1 and v2 = 3x (two versions of plugin-affine), broken (fails in load_context)."""
    import mlflow
    import pandas as pd

    code = tmp_path_factory.mktemp("model-code")
    (code / "affine.py").write_text(AFFINE)
    (code / "broken.py").write_text(BROKEN)
    mlflow.set_experiment("plugin-tests")
    example = pd.DataFrame({"x": [1.0, 2.0]})
    uris = {}
    for key, name, path, config in [
        ("v1", "plugin-affine", code / "affine.py", {"scale": 2, "shift": 1}),
        ("v2", "plugin-affine", code / "affine.py", {"scale": 3, "shift": 0}),
        ("broken", "plugin-broken", code / "broken.py", {}),
    ]:
        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(
                name="model", python_model=str(path), model_config=config, registered_model_name=name,
                pip_requirements=["mlflow"], input_example=example if key != "broken" else None,
            )  # fmt: skip
        uris[key] = f"models:/{name}/{info.registered_model_version}"
    return uris
