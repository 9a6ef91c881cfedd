"""What openapi/tools/handlers.py reads from the server's handlers reaches the spec."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi" / "mlflow.yaml").read_text())
sys.path.insert(0, str(ROOT / "openapi" / "tools"))

import handlers  # noqa: E402


def operation(op_id: str) -> dict[str, Any]:
    return next(op for item in SPEC["paths"].values() for op in item.values() if op["operationId"] == op_id)


def body_schema(op_id: str) -> dict[str, Any]:
    ref = operation(op_id)["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema: dict[str, Any] = SPEC["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def test_handler_asserted_fields_are_read_from_the_installed_server() -> None:
    from mlflow.server import handlers as server

    assert handlers.required_fields(server._create_gateway_secret) == ["secret_name"]
    assert handlers.required_fields(server._register_scorer) == ["experiment_id", "name", "serialized_scorer"]
    schema = handlers.handler_schema(server._get_online_scoring_configs)
    assert schema == {"scorer_ids": ["_assert_required", "_assert_array", "_assert_item_type_string"]}


def test_genai_operations_require_what_their_handlers_assert() -> None:
    # The protos mark none of these required; without the handlers the SDKs would let them out.
    assert body_schema("createGatewaySecret")["required"] == ["secret_name"]
    assert body_schema("createGatewayModelDefinition")["required"] == ["name", "secret_id", "provider", "model_name"]
    get_scorer = {p["name"]: p.get("required", False) for p in operation("getScorer")["parameters"]}
    assert get_scorer == {"experiment_id": True, "name": True, "version": False}


def test_a_path_parameter_the_handler_asserts_also_travels_in_the_body() -> None:
    assert [p["name"] for p in operation("updateIssue")["parameters"]] == ["issue_id"]
    assert "issue_id" in body_schema("updateIssue")["required"]
    # the classic families keep the proto's list and the path out of the body
    assert "dataset_id" not in body_schema("setDatasetTags")["properties"]


def test_routes_outside_the_protos_come_from_their_handlers() -> None:
    get_configs = operation("getOnlineScoringConfigs")
    assert get_configs["x-mlflowrest-outside-protos"] is True
    (param,) = get_configs["parameters"]
    assert param["name"] == "scorer_ids" and param["required"] and param["schema"]["items"] == {"type": "string"}
    upsert = body_schema("upsertOnlineScoringConfig")
    assert upsert["required"] == ["experiment_id", "name", "sample_rate"]
    entity = SPEC["components"]["schemas"]["OnlineScoringConfig"]
    assert entity["required"] == ["online_scoring_config_id", "scorer_id", "sample_rate", "experiment_id"]
    assert entity["properties"]["sample_rate"] == {"type": "number"}
