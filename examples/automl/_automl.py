"""What both AutoML examples share: the parent/child run layout and the tags readers rely on.

Runs inside .venv-automl (pycaret 3.3.2 + the mlflow 2.9.2 client) against the 3.17.2 server
named by MLFLOW_TRACKING_URI. The read-back scripts in tests/automl/ depend on these tags:

  parent run   automl.role=parent, automl.sort_metric, automl.sort_order (DESC/ASC),
               automl.best_model, automl.task, automl.dataset
  child run    mlflow.parentRunId=<parent>, automl.role=candidate, automl.model_id, automl.model_name
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import mlflow
from mlflow.tracking import MlflowClient

PARENT_ROLE = "parent"
CANDIDATE_ROLE = "candidate"


def require_tracking_uri() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith(("http://", "https://")):
        sys.exit("set MLFLOW_TRACKING_URI to the server, e.g. http://127.0.0.1:5000 "
                 "(`make demo-automl` starts one for you)")  # fmt: skip
    return uri


def session_run_id(client: MlflowClient, experiment_id: str, usi: str) -> str:
    """PyCaret's "Session Initialized" run of this setup() call: the parent of every candidate."""
    runs = client.search_runs([experiment_id], filter_string=f"tags.USI = '{usi}' and tags.Source = 'setup'")
    if len(runs) != 1:
        raise RuntimeError(f"expected one setup run with USI {usi}, found {len(runs)}")
    return str(runs[0].info.run_id)


def children(client: MlflowClient, experiment_id: str, parent_id: str) -> list[Any]:
    return list(client.search_runs([experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent_id}'"))


def leaderboard_top(client: MlflowClient, experiment_id: str, parent_id: str, metric: str, order: str) -> Any:
    """The best child as every reader ranks them: by the metric, ties broken by run name."""
    runs = client.search_runs(
        [experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent_id}'",
        order_by=[f"metrics.`{metric}` {order}", "attributes.run_name ASC"], max_results=1,
    )  # fmt: skip
    if not runs:
        raise RuntimeError(f"run {parent_id} has no child runs")
    return runs[0]


def end_active_runs() -> None:
    """PyCaret leaves its session run active; end it so the parent can be reopened explicitly."""
    while mlflow.active_run() is not None:
        mlflow.end_run()


def write_result(result: dict[str, Any], path: str | None) -> None:
    line = json.dumps(result, sort_keys=True)
    print(line, flush=True)
    if path:
        Path(path).write_text(line + "\n")
