"""Sending one recorded call or artifact to a server, idempotently (docs/journal.md, "How sync
makes replay idempotent"). Used by `sync` and by a live client draining its own journal."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflowrest._exceptions import ApiError, MlflowError, ResourceAlreadyExistsError
from mlflowrest._generated import rules
from mlflowrest._journal import _format as fmt
from mlflowrest._transport import _Recovered, retryable

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient


@dataclass
class Outcome:
    kind: str  # sent | already_present | failed | unsent (no answer: try later) | waiting (unbound id)
    status: int = 200
    remote: str | None = None  # the server id of a create with binds
    error: MlflowError | None = None
    waiting_for: str | None = None


def final(exc: MlflowError) -> bool:
    """A refusal no resend can change (a 4xx other than the overload answers)."""
    if not isinstance(exc, ApiError):
        return False
    return exc.http_status is None or (400 <= exc.http_status < 500 and not retryable(exc))


def replay(client: MlflowClient, directory: str, record: dict[str, Any], binds: dict[str, str]) -> Outcome:
    own = (record.get("binds") or {}).get("local")
    if record["type"] == "artifact":
        run_id = binds.get(record["run_id"], record["run_id"])
        if fmt.is_local(run_id):
            return Outcome("waiting", waiting_for=run_id)
        return _upload(client, directory, record, run_id)
    missing = fmt.local_ids(record["body"]) - set(binds) - {own}
    if missing:
        return Outcome("waiting", waiting_for=sorted(missing)[0])
    body = fmt.substitute(record["body"], binds)
    try:
        return _send(client, record, body)
    except MlflowError as exc:
        if final(exc):
            assert isinstance(exc, ApiError)
            return Outcome("failed", status=exc.http_status or 400, error=exc)
        return Outcome("unsent", error=exc)


def _send(client: MlflowClient, record: dict[str, Any], body: dict[str, Any]) -> Outcome:
    operation = record["operation"]
    binds = record.get("binds")
    if binds and operation == "createRun":
        found = _run_with_key(client, body)
        if found:
            return Outcome("already_present", remote=found)
    safety = rules.OPERATION_SAFETY.get(operation, "never")
    recover = None
    if safety == "recover-by-request-id" and operation in rules.REQUEST_ID_LOOKUP:
        from mlflowrest.resources._request_id import finder

        recover = finder(client, operation, body, record["request_id"])
    try:
        response = client._transport.send(
            record["method"], client.config.tracking_uri + record["path"], record["path"], json_body=body,
            retry_writes=safety == "safe", recover=recover,
        )  # fmt: skip
    except ResourceAlreadyExistsError:
        if not (binds and operation == "createExperiment"):
            raise
        got = client.experiments.get_by_name(experiment_name=body["name"]).experiment
        return Outcome("already_present", remote=got.experiment_id if got else None)
    if isinstance(response, _Recovered):
        kind, answer, status = "already_present", response.value, 200
    else:
        kind, status = "sent", response.status_code
        answer = response.json() if response.content else {}
    remote = fmt.field_value(answer, binds["field"]) if binds else None
    return Outcome(kind, status=status, remote=str(remote) if remote is not None else None)


def _run_with_key(client: MlflowClient, body: dict[str, Any]) -> str | None:
    """The run an earlier replay of this create made: it carries the create's idempotency key."""
    key = next((t.get("value") for t in body.get("tags") or [] if t.get("key") == rules.IDEMPOTENCY_KEY_TAG), None)
    if not key:
        return None
    page = client.runs.search(
        experiment_ids=[body.get("experiment_id") or "0"], filter=f"tags.`{rules.IDEMPOTENCY_KEY_TAG}` = '{key}'",
        run_view_type="ALL", max_results=1,
    ).first  # fmt: skip
    return page.runs[0].info.run_id if page.runs and page.runs[0].info else None


def _upload(client: MlflowClient, directory: str, record: dict[str, Any], run_id: str) -> Outcome:
    local = os.path.join(directory, record["file"])
    try:
        client.artifacts._upload_now(run_id, Path(local), record["artifact_path"] or None)
    except MlflowError as exc:
        if final(exc):
            assert isinstance(exc, ApiError)
            return Outcome("failed", status=exc.http_status or 400, error=exc)
        return Outcome("unsent", error=exc)
    return Outcome("sent")
