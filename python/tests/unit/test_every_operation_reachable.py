"""Every operation of openapi/mlflow.yaml has a method on the client."""

from __future__ import annotations

import inspect
from pathlib import Path

import yaml

from mlflowrest import MlflowClient

SPEC = yaml.safe_load((Path(__file__).resolve().parents[3] / "openapi" / "mlflow.yaml").read_text())


def test_every_operation_has_a_client_method(offline: MlflowClient) -> None:
    missing, seen = [], 0
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            seen += 1
            resource = getattr(offline, op["x-mlflowrest-resource"], None)
            target = getattr(resource, op["x-mlflowrest-method"], None)
            if not callable(target):
                missing.append(f"{method.upper()} {path} ({op['operationId']})")
                continue
            if op.get("x-mlflowrest-alias-of"):
                continue  # served by the first route's method
            params = inspect.signature(target).parameters
            for p in op.get("parameters", []):
                if p["in"] == "path" and p["name"] not in params and "run_id" not in params:
                    missing.append(f"{op['operationId']}: no argument {p['name']}")
    assert seen > 100
    assert not missing, missing
