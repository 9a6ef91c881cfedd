"""Where the files of `runs:/...` and `models:/...` URIs are.

`runs:/<run_id>/<path>`, `models:/<name>/<version>`, `models:/<name>@<alias>`,
`models:/<name>/<stage>` (or `latest`) and MLflow 3's `models:/m-<id>` (a logged model). A
registered version's `source` is followed to its files: in MLflow 3 it is usually the logged
model (`models:/m-...`), before that a run path or a storage URI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlflowrest import _exceptions as errors
from mlflowrest._artifact_stores import ArtifactStore, join, open_store, scheme_of
from mlflowrest._generated import models

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

MAX_HOPS = 5  # a source that points at a source...: a cycle is a server-side mistake, not a hang


class Locator:
    """Opens stores by run, logged model or URI; each owner's artifact_uri is looked up once."""

    def __init__(self, client: MlflowClient) -> None:
        self._client = client
        self._stores: dict[str, ArtifactStore] = {}

    def run(self, run_id: str) -> ArtifactStore:
        key = f"run:{run_id}"
        if key not in self._stores:
            run = self._client.runs.get(run_id=run_id).run
            uri = run.info.artifact_uri if run and run.info else None
            if not uri:
                raise errors.UnexpectedResponseError(f"run {run_id} has no artifact_uri", path="runs/get")
            self._stores[key] = open_store(self._client, uri)
        return self._stores[key]

    def logged_model(self, model_id: str) -> ArtifactStore:
        key = f"model:{model_id}"
        if key not in self._stores:
            found = self._client.logged_models.get(model_id).model
            uri = found.info.artifact_uri if found and found.info else None
            if not uri:
                raise errors.UnexpectedResponseError(
                    f"logged model {model_id} has no artifact_uri", path="logged-models/get"
                )
            self._stores[key] = open_store(self._client, uri)
        return self._stores[key]

    def locate(self, target: str, hops: int = 0) -> tuple[ArtifactStore, str]:
        """A run id or any URI above -> (the store, the path inside it)."""
        if hops > MAX_HOPS:
            raise errors.InvalidParameterValueError(f"{target!r}: model sources point at each other", field="source")
        scheme = scheme_of(target)
        if not scheme and "/" not in target:
            return self.run(target), ""
        if scheme == "runs":
            run_id, _, path = target.removeprefix("runs:").lstrip("/").partition("/")
            if not run_id:
                raise _bad(target)
            return self.run(run_id), path.strip("/")
        if scheme == "models":
            return self._model(target, hops)
        return open_store(self._client, target), ""

    def _model(self, uri: str, hops: int) -> tuple[ArtifactStore, str]:
        rest = uri.removeprefix("models:").lstrip("/")
        if rest.startswith("m-"):
            model_id, _, path = rest.partition("/")
            return self.logged_model(model_id), path.strip("/")
        if "@" in rest:
            name, _, alias = rest.partition("@")
            version = self._client.registered_models.get_version_by_alias(name=name, alias=alias).model_version
        else:
            name, _, which = rest.rpartition("/")
            if not name or not which:
                raise _bad(uri)
            version = self._version(name, which)
        if version is None or not version.source:
            raise errors.ResourceDoesNotExistError(f"{uri}: no such model version", http_status=404)
        store, path = self.locate(version.source, hops + 1)
        return store, path

    def _version(self, name: str, which: str) -> models.ModelVersion | None:
        if which.isdigit():
            return self._client.model_versions.get(name=name, version=which).model_version
        stages = None if which.lower() == "latest" else [which]
        found = self._client.registered_models.get_latest_versions(name=name, stages=stages).model_versions or []
        if not found:
            raise errors.ResourceDoesNotExistError(f"models:/{name}/{which}: no version in that stage", http_status=404)
        return max(found, key=lambda v: int(v.version or 0))


def _bad(uri: str) -> errors.InvalidParameterValueError:
    return errors.InvalidParameterValueError(
        f"{uri!r} is not runs:/<run_id>/<path>, models:/<name>/<version|stage|latest>, models:/<name>@<alias> "
        "or models:/m-<model_id>", field="uri",
    )  # fmt: skip


__all__ = ["Locator", "join"]
