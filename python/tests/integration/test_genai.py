"""The GenAI families through the generated resources, against the harness's real server."""

from __future__ import annotations

import json
import uuid

import pytest

from mlflowrest import MlflowClient, ResourceDoesNotExistError, models


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_gateway_secret_value_goes_in_and_only_masked_values_come_back(live: MlflowClient) -> None:
    value = f"sk-{uuid.uuid4().hex}"
    made = live.gateway_secrets.create(secret_name=unique("key"), secret_value={"api_key": value}, provider="openai")
    secret = made.secret
    assert secret is not None and secret.secret_id and secret.masked_values
    assert set(secret.masked_values) == {"api_key"}
    got = live.gateway_secrets.get(secret_id=secret.secret_id).secret
    assert got is not None and got.secret_name == secret.secret_name
    listed = [s.secret_id for s in live.gateway_secrets.list().secrets or []]
    assert secret.secret_id in listed
    for answer in (made, got, live.gateway_secrets.list()):
        assert value not in answer.model_dump_json() and value not in repr(answer)
    model = live.gateway_model_definitions.create(
        name=unique("gpt"), secret_id=secret.secret_id, provider="openai", model_name="gpt-4o-mini"
    ).model_definition
    assert model is not None and model.model_definition_id and model.secret_id == secret.secret_id
    endpoint = live.gateway_endpoints.create(
        name=unique("chat"),
        model_configs=[models.GatewayEndpointModelConfig(model_definition_id=model.model_definition_id,
                                                         linkage_type="PRIMARY", weight=1.0)],
    ).endpoint  # fmt: skip
    assert endpoint is not None and endpoint.endpoint_id
    live.gateway_endpoints.set_tag(endpoint_id=endpoint.endpoint_id, key="team", value="search")
    got_endpoint = live.gateway_endpoints.get(endpoint_id=endpoint.endpoint_id).endpoint
    assert got_endpoint is not None and [(t.key, t.value) for t in got_endpoint.tags or []] == [("team", "search")]
    mapped = [m.model_definition_id for m in got_endpoint.model_mappings or []]
    assert mapped == [model.model_definition_id]
    live.gateway_endpoints.delete(endpoint_id=endpoint.endpoint_id)
    live.gateway_model_definitions.delete(model_definition_id=model.model_definition_id)
    live.gateway_secrets.delete(secret_id=secret.secret_id)
    with pytest.raises(ResourceDoesNotExistError):
        live.gateway_secrets.get(secret_id=secret.secret_id)


def test_issue_lifecycle(live: MlflowClient) -> None:
    exp_id = live.experiments.get_or_create(unique("genai"))
    issue = live.issues.create(experiment_id=exp_id, name="hallucination", description="cites a missing page").issue
    assert issue is not None and issue.issue_id and issue.experiment_id == exp_id
    assert live.issues.get(issue.issue_id).issue == issue
    found = live.issues.search(experiment_id=exp_id).to_list()
    assert [i.issue_id for i in found] == [issue.issue_id]
    updated = live.issues.update(issue.issue_id, description="cites page 3, which does not exist").issue
    assert updated is not None and updated.description == "cites page 3, which does not exist"


def test_scorer_on_a_gateway_endpoint_and_its_online_config_outside_the_protos(live: MlflowClient) -> None:
    # A judge names its model by gateway endpoint; the endpoint's provider is never called here.
    secret = live.gateway_secrets.create(secret_name=unique("key"), secret_value={"api_key": "sk-unused"}).secret
    assert secret is not None and secret.secret_id
    model = live.gateway_model_definitions.create(
        name=unique("gpt"), secret_id=secret.secret_id, provider="openai", model_name="gpt-4o-mini"
    ).model_definition
    assert model is not None
    judge = unique("judge")
    live.gateway_endpoints.create(
        name=judge,
        model_configs=[
            models.GatewayEndpointModelConfig(model_definition_id=model.model_definition_id, linkage_type="PRIMARY")
        ],
    )
    exp_id = live.experiments.get_or_create(unique("genai"))
    # A built-in judge as mlflow.genai serialises it (custom code scorers are refused by default).
    serialized = json.dumps({
        "name": "relevance_to_query", "builtin_scorer_class": "RelevanceToQuery", "serialization_version": 1,
        "mlflow_version": "3.17.2", "builtin_scorer_pydantic_data": {"name": "relevance_to_query",
                                                                      "model": f"gateway:/{judge}"},
    })  # fmt: skip
    first = live.scorers.register(experiment_id=exp_id, name="relevance_to_query", serialized_scorer=serialized)
    second = live.scorers.register(experiment_id=exp_id, name="relevance_to_query", serialized_scorer=serialized)
    assert (first.version, second.version) == (1, 2)  # each call registers the next version
    versions = live.scorers.list_versions(experiment_id=exp_id, name="relevance_to_query").scorers or []
    assert sorted(v.scorer_version for v in versions) == [1, 2]
    config = live.scorers.upsert_online_scoring_config(
        experiment_id=exp_id, name="relevance_to_query", sample_rate=0.25, filter_string="trace.status = 'OK'"
    ).config
    assert config.sample_rate == 0.25 and config.experiment_id == exp_id
    configs = live.scorers.get_online_scoring_configs(scorer_ids=[config.scorer_id]).configs
    assert configs == [config]
