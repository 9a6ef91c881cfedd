"""Anomaly detection without a target, with PyCaret, logged to an MLflow server.

    MLFLOW_TRACKING_URI=http://127.0.0.1:5000 .venv-automl/bin/python examples/automl/anomaly.py

Fits several detectors (isolation forest, local outlier factor, one-class SVM) on a generated
transactions table (transactions.py, fixed seed) without its labels. PyCaret logs its session
run and a child run per detector (hyper-parameters, TT = fit time, the model). This script adds
to each child the share of transactions flagged (`anomaly_fraction`) and, since the anomalies
were injected, how well the flags recover them (`precision_injected`, `recall_injected`,
`f1_injected`), plus the labelled table as `labelled_transactions.csv`; the parent gets the
same table from the best detector by `f1_injected`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import mlflow
import pandas as pd
from _automl import (
    CANDIDATE_ROLE,
    PARENT_ROLE,
    children,
    end_active_runs,
    leaderboard_top,
    require_tracking_uri,
    session_run_id,
    write_result,
)
from mlflow.tracking import MlflowClient
from pycaret.anomaly import AnomalyExperiment
from transactions import make_transactions

DETECTORS = ["iforest", "lof", "svm"]
SORT_METRIC = "f1_injected"
ANOMALY_SHARE = 0.02
SEED = 42
CSV_NAME = "labelled_transactions.csv"


def scores(flags: pd.Series, injected: pd.Series) -> dict[str, float]:
    hits = int(((flags == 1) & (injected == 1)).sum())
    flagged, actual = int(flags.sum()), int(injected.sum())
    precision = hits / flagged if flagged else 0.0
    recall = hits / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"anomaly_fraction": float(flags.mean()), "anomalies_flagged": float(flagged),
            "precision_injected": precision, "recall_injected": recall, SORT_METRIC: f1}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="automl-transactions-anomaly")
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--result", help="also write the one-line JSON summary to this file")
    args = parser.parse_args()
    require_tracking_uri()
    began = time.monotonic()

    table = make_transactions(n=args.rows, anomaly_share=ANOMALY_SHARE, seed=SEED)
    injected = table.pop("is_injected")
    exp = AnomalyExperiment()
    exp.setup(table, session_id=SEED, ignore_features=["transaction_id"], categorical_features=["merchant_category"],
              normalize=True,
              log_experiment=True, experiment_name=args.experiment, verbose=False, html=False)  # fmt: skip
    labelled: dict[str, pd.DataFrame] = {}
    for detector in DETECTORS:
        model = exp.create_model(detector, fraction=ANOMALY_SHARE, verbose=False)
        out = exp.assign_model(model)
        out["is_injected"] = injected.to_numpy()
        labelled[detector] = out

    client = MlflowClient()
    experiment = client.get_experiment_by_name(args.experiment)
    assert experiment is not None, args.experiment
    experiment_id = experiment.experiment_id
    parent_id = session_run_id(client, experiment_id, exp.get_config("USI"))
    runs = {r.info.run_name: r for r in children(client, experiment_id, parent_id)}
    names = {d: str(exp.models().loc[d, "Name"]) for d in DETECTORS}
    if sorted(runs) != sorted(names.values()):
        raise RuntimeError(f"expected one child run per detector {sorted(names.values())}, got {sorted(runs)}")

    with tempfile.TemporaryDirectory() as tmp:
        for detector, name in names.items():
            run_id = runs[name].info.run_id
            client.set_tag(run_id, "automl.role", CANDIDATE_ROLE)
            client.set_tag(run_id, "automl.model_id", detector)
            client.set_tag(run_id, "automl.model_name", name)
            for key, value in scores(labelled[detector]["Anomaly"], injected).items():
                client.log_metric(run_id, key, value)
            csv = Path(tmp, detector, CSV_NAME)
            csv.parent.mkdir()
            labelled[detector].to_csv(csv, index=False)
            client.log_artifact(run_id, str(csv))

        top = leaderboard_top(client, experiment_id, parent_id, SORT_METRIC, "DESC")
        best_id = top.data.tags["automl.model_id"]
        end_active_runs()
        with mlflow.start_run(run_id=parent_id):
            mlflow.set_tags({
                "automl.role": PARENT_ROLE, "automl.task": "anomaly_detection", "automl.library": "pycaret",
                "automl.dataset": f"transactions.make_transactions(n={args.rows}, seed={SEED})",
                "automl.sort_metric": SORT_METRIC, "automl.sort_order": "DESC",
                "automl.best_model": top.info.run_name, "automl.best_model_id": best_id,
                "mlflow.runName": "automl transactions anomaly",
            })  # fmt: skip
            mlflow.log_params({"detectors": ",".join(DETECTORS), "fraction": ANOMALY_SHARE, "seed": SEED,
                               "rows": args.rows, "injected_anomalies": int(injected.sum())})  # fmt: skip
            mlflow.log_metric(f"best_{SORT_METRIC}", top.data.metrics[SORT_METRIC])
            mlflow.log_metric("anomaly_fraction", top.data.metrics["anomaly_fraction"])
            mlflow.log_artifact(str(Path(tmp, best_id, CSV_NAME)))

    write_result({
        "task": "anomaly_detection", "experiment_id": experiment_id, "parent_run_id": parent_id,
        "children": len(runs), "best_model": top.info.run_name, "best_model_id": best_id, "metric": SORT_METRIC,
        "value": top.data.metrics[SORT_METRIC], "seconds": round(time.monotonic() - began, 1),
    }, args.result)  # fmt: skip
    for detector, name in names.items():
        found = scores(labelled[detector]["Anomaly"], injected)
        print(f"{name:28s} " + " ".join(f"{k}={v:.4f}" for k, v in found.items()))


if __name__ == "__main__":
    main()
