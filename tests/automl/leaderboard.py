"""Print an AutoML parent run's leaderboard as one JSON line, read with the Python SDK.

    python tests/automl/leaderboard.py <parent_run_id>      (MLFLOW_TRACKING_URI names the server)

Same rules in leaderboard.R and Leaderboard.java, calling only runs/get and runs/search: the
parent's tags name the metric (automl.sort_metric) and direction (automl.sort_order); every
child run (tag mlflow.parentRunId) that has the metric is a candidate; best = highest (DESC)
or lowest (ASC) value, ties broken by model name; the name is the child's automl.model_name tag.
"""

from __future__ import annotations

import json
import sys

from mlflowrest import MlflowClient


def leaderboard(client: MlflowClient, parent_id: str) -> dict[str, object]:
    parent = client.runs.get(run_id=parent_id).run
    assert parent is not None and parent.info is not None and parent.data is not None
    tags = {t.key: t.value for t in parent.data.tags or []}
    metric, order = tags["automl.sort_metric"], tags.get("automl.sort_order", "DESC")
    children = client.runs.search(
        experiment_ids=[str(parent.info.experiment_id)], filter=f"tags.`mlflow.parentRunId` = '{parent_id}'"
    )
    board = []
    for run in children:
        assert run.info is not None and run.data is not None
        metrics = {m.key: m.value for m in run.data.metrics or [] if m.value is not None}
        if metric in metrics:
            child_tags = {t.key: t.value for t in run.data.tags or []}
            board.append((float(metrics[metric]), child_tags.get("automl.model_name") or run.info.run_name or ""))
    if not board:
        raise SystemExit(f"run {parent_id} has no child run with metric {metric}")
    sign = -1.0 if order == "DESC" else 1.0
    value, name = min(board, key=lambda entry: (sign * entry[0], entry[1]))
    return {"reader": "python", "parent_run_id": parent_id, "best_model": name, "metric": metric,
            "value": value, "candidates": len(board)}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(leaderboard(MlflowClient(), sys.argv[1])))
