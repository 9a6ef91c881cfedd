"""Client request ids that make retried creates safe (openapi/family-rules.yaml, request_id).

A create the server does not deduplicate carries a fresh id as a tag; when its answer is lost
and it is retried, the id is looked up first and the entity the first try made is returned."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mlflowrest._exceptions import ResourceDoesNotExistError
from mlflowrest._generated import rules
from mlflowrest._operation import Operation
from mlflowrest._types import Model

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

REQUEST_ID_TAG = rules.REQUEST_ID_TAG
# Written: the first. Read: all, so entities made by earlier releases are still recognised.
REQUEST_ID_TAGS = (rules.REQUEST_ID_TAG, *rules.LEGACY_REQUEST_ID_TAGS)

Recover = Callable[[], Any]


def new_request_id() -> str:
    return uuid.uuid4().hex


def carries(tags: Any, request_id: str) -> bool:
    """Whether an entity's tags (a list of key/value models, or a dict) hold this request id."""
    if isinstance(tags, str):
        tags = json.loads(tags or "{}")
    if isinstance(tags, Mapping):
        return any(tags.get(key) == request_id for key in REQUEST_ID_TAGS)
    pairs = ((getattr(t, "key", None), getattr(t, "value", None)) for t in tags or [])
    return any(key in REQUEST_ID_TAGS and value == request_id for key, value in pairs)


def _quote(value: Any) -> str:
    return str(value).replace("'", "\\'")


def prepare(
    client: MlflowClient, op: Operation, values: Mapping[str, Any], answer: type[Model]
) -> tuple[dict[str, Any], Recover]:
    """The create's values with its request id added, and the lookup a retry runs first."""
    request_id = new_request_id()
    values = dict(values)
    tags = values.get("tags")
    tags_field = op.body_model.model_fields.get("tags") if op.body_model else None
    if tags_field is None:
        pass  # no tags to carry the id (webhooks): the finder matches otherwise
    elif isinstance(tags, str) or "str" in str(tags_field.annotation):  # one JSON object (datasets)
        values["tags"] = json.dumps({**json.loads(tags or "{}"), REQUEST_ID_TAG: request_id})
    else:
        values["tags"] = [*(tags or []), {"key": REQUEST_ID_TAG, "value": request_id}]
    find = finder(client, op.operation_id, values, request_id)

    def recover() -> Any:
        found = find()
        return None if found is None else answer.model_validate(found)

    return values, recover


def finder(client: MlflowClient, operation_id: str, values: Mapping[str, Any], request_id: str) -> Recover:
    """The lookup for what an earlier try of this create (with `request_id`) made: its answer body
    or None. Also used by sync with the request id the journal recorded."""
    lookup = rules.REQUEST_ID_LOOKUP[operation_id]
    fields = {"tag": REQUEST_ID_TAG, "id": _quote(request_id), "name": _quote(values.get("name", ""))}
    find = _FINDERS[lookup["by"]]
    before = find.prepare(client, values) if hasattr(find, "prepare") else None
    return lambda: find(client, lookup, fields, values, request_id, before)


# ---- one finder per lookup operation: returns the create's answer body, or None -------------------
def _search_runs(client: MlflowClient, lookup: Any, f: Any, values: Any, rid: str, _: Any) -> Any:
    page = client.runs.search(experiment_ids=[values.get("experiment_id") or "0"], filter=lookup["filter"].format(**f),
                              run_view_type="ALL", max_results=1).first  # fmt: skip
    return {"run": page.runs[0]} if page.runs else None


def _experiment_by_name(client: MlflowClient, lookup: Any, f: Any, values: Any, rid: str, _: Any) -> Any:
    try:
        found = client.experiments.get_by_name(experiment_name=values["name"]).experiment
    except ResourceDoesNotExistError:
        return None
    return {"experiment_id": found.experiment_id} if found and carries(found.tags, rid) else None


def _registered_model(client: MlflowClient, lookup: Any, f: Any, values: Any, rid: str, _: Any) -> Any:
    try:
        found = client.registered_models.get(name=values["name"]).registered_model
    except ResourceDoesNotExistError:
        return None
    return {"registered_model": found} if found and carries(found.tags, rid) else None


def _model_versions(client: MlflowClient, lookup: Any, f: Any, values: Any, rid: str, _: Any) -> Any:
    page = client.model_versions.search(filter=lookup["filter"].format(**f), max_results=1).first
    return {"model_version": page.model_versions[0]} if page.model_versions else None


def _logged_models(client: MlflowClient, lookup: Any, f: Any, values: Any, rid: str, _: Any) -> Any:
    page = client.logged_models.search(experiment_ids=[values["experiment_id"]], filter=lookup["filter"].format(**f),
                                       max_results=1).first  # fmt: skip
    return {"model": page.models[0]} if page.models else None


def _datasets(client: MlflowClient, lookup: Any, f: Any, values: Any, rid: str, _: Any) -> Any:
    for dataset in client.datasets.search(experiment_ids=values.get("experiment_ids"),
                                          filter_string=lookup["filter"].format(**f)):  # fmt: skip
        if carries(dataset.tags, rid):
            return {"dataset": dataset}
    return None


def _webhook_ids(client: MlflowClient, values: Any) -> set[str]:
    return {str(h.webhook_id) for h in client.webhooks.list() if h.name == values.get("name")}


def _webhooks(client: MlflowClient, lookup: Any, f: Any, values: Any, rid: str, before: Any) -> Any:
    for hook in client.webhooks.list():
        if hook.name == values.get("name") and hook.url == values.get("url") and str(hook.webhook_id) not in before:
            return {"webhook": hook}
    return None


_webhooks.prepare = _webhook_ids  # type: ignore[attr-defined]

_FINDERS: dict[str, Callable[..., Any]] = {
    "searchRuns": _search_runs,
    "getExperimentByName": _experiment_by_name,
    "getRegisteredModel": _registered_model,
    "searchModelVersions": _model_versions,
    "searchLoggedModels": _logged_models,
    "searchEvaluationDatasets": _datasets,
    "listWebhooks": _webhooks,
}
