"""AutoML classification with PyCaret, logged to an MLflow server.

    MLFLOW_TRACKING_URI=http://127.0.0.1:5000 .venv-automl/bin/python examples/automl/classification.py

Compares candidate models on scikit-learn's breast-cancer set (shipped with scikit-learn, so no
download) with 5-fold cross-validation. PyCaret logs its "Session Initialized" run and one child
run per candidate (hyper-parameters as params; AUC, Accuracy, F1, Kappa, MCC, Prec., Recall
as cross-validated means; TT = mean fit time in seconds). This script then marks the layout
(tags, see _automl.py), logs the best pipeline refitted on all rows as an MLflow model in the
parent run, registers it and points the alias `champion` at the new version.
"""

from __future__ import annotations

import argparse
import time

import mlflow
import mlflow.sklearn
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
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from pycaret.classification import ClassificationExperiment
from sklearn.datasets import load_breast_cancer

CANDIDATES = ["lr", "knn", "nb", "dt", "rf", "et"]
SORT_METRIC = "AUC"
SEED = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="automl-breast-cancer")
    parser.add_argument("--model-name", default="breast-cancer-automl")
    parser.add_argument("--alias", default="champion")
    parser.add_argument("--result", help="also write the one-line JSON summary to this file")
    args = parser.parse_args()
    require_tracking_uri()
    began = time.monotonic()

    data = load_breast_cancer(as_frame=True).frame
    exp = ClassificationExperiment()
    exp.setup(data, target="target", session_id=SEED, fold=5, log_experiment=True,
              experiment_name=args.experiment, verbose=False, html=False)  # fmt: skip
    best = exp.compare_models(include=CANDIDATES, sort=SORT_METRIC, verbose=False)
    board = exp.pull()  # index: PyCaret model id; columns: Model (the child run's name), metrics

    client = MlflowClient()
    experiment = client.get_experiment_by_name(args.experiment)
    assert experiment is not None, args.experiment
    experiment_id = experiment.experiment_id
    parent_id = session_run_id(client, experiment_id, exp.get_config("USI"))
    runs = children(client, experiment_id, parent_id)
    ids_by_name = {name: model_id for model_id, name in board["Model"].items()}
    if sorted(r.info.run_name for r in runs) != sorted(ids_by_name):
        raise RuntimeError(f"expected one child run per candidate {sorted(ids_by_name)}, "
                           f"got {sorted(r.info.run_name for r in runs)}")  # fmt: skip
    for run in runs:
        client.set_tag(run.info.run_id, "automl.role", CANDIDATE_ROLE)
        client.set_tag(run.info.run_id, "automl.model_id", ids_by_name[run.info.run_name])
        client.set_tag(run.info.run_id, "automl.model_name", run.info.run_name)

    best_id = str(board.index[0])
    best_name = str(board.iloc[0]["Model"])
    best_value = float(board.iloc[0][SORT_METRIC])
    top = leaderboard_top(client, experiment_id, parent_id, SORT_METRIC, "DESC")
    if (top.info.run_name, top.data.metrics[SORT_METRIC]) != (best_name, best_value):
        raise RuntimeError(f"PyCaret's best {best_name} ({best_value}) is not the server's top child "
                           f"{top.info.run_name} ({top.data.metrics[SORT_METRIC]}): a tie?")  # fmt: skip

    # finalize_model would log one more child run (the refit); keep children = candidates only.
    loggers, exp.logging_param = exp.logging_param, None
    try:
        final = exp.finalize_model(best)
    finally:
        exp.logging_param = loggers

    end_active_runs()
    features = data.drop(columns=["target"])
    with mlflow.start_run(run_id=parent_id):
        mlflow.set_tags({
            "automl.role": PARENT_ROLE, "automl.task": "classification", "automl.library": "pycaret",
            "automl.dataset": "sklearn.datasets.load_breast_cancer", "automl.sort_metric": SORT_METRIC,
            "automl.sort_order": "DESC", "automl.best_model": best_name, "automl.best_model_id": best_id,
            "mlflow.runName": "automl breast-cancer",
        })  # fmt: skip
        mlflow.log_params({"candidates": ",".join(CANDIDATES), "folds": 5, "session_id": SEED})
        mlflow.log_metric(f"best_{SORT_METRIC}", best_value)
        signature = infer_signature(features, final.predict(features))
        info = mlflow.sklearn.log_model(final, "model", signature=signature, input_example=features.head(3))

    version = mlflow.register_model(info.model_uri, args.model_name, tags={"automl.metric": SORT_METRIC})
    client.set_registered_model_alias(args.model_name, args.alias, version.version)
    client.set_model_version_tag(args.model_name, version.version, "automl.best_model", best_name)

    write_result({
        "task": "classification", "experiment_id": experiment_id, "parent_run_id": parent_id,
        "children": len(runs), "best_model": best_name, "best_model_id": best_id, "metric": SORT_METRIC,
        "value": best_value, "registered_model": args.model_name, "version": str(version.version),
        "alias": args.alias, "seconds": round(time.monotonic() - began, 1),
    }, args.result)  # fmt: skip
    print(board.to_string())


if __name__ == "__main__":
    main()
