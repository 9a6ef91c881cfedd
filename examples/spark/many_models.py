"""Many models on Spark: one MLflow run per group, logged from the executors, exactly once.

    python examples/spark/many_models.py --groups 200 --fail 20 [--client mlflowrest|official|none]

Each group of a synthetic data set (fixed seed) fits a small scikit-learn model and logs params,
a metric, the pickled model and a JSON summary. `--fail K` makes K groups raise once after they
have created their run and logged part of it (a marker file per group lets the retry succeed);
Spark (`local[2,4]`: 2 cores, 4 attempts per task) then re-runs the whole partition, including
groups that had already finished.

With mlflowrest, each start carries `idempotency_key=<job id>/<group>`: a retried group resumes
its own run, a finished one is skipped, so the job leaves exactly one FINISHED run per group.
Metrics are logged with timestamps derived from the job (not the attempt's clock), so a resent
point is the same point and the server stores it once. The official client has no such key: its
row shows what task retries do without one.

Prints one JSON line: client, groups, failed_attempts (injected), returned (rows the job returned),
runs (active runs in the job's experiment), finished, complete (FINISHED runs holding the params,
the metric and both files), groups_finished, duplicates (FINISHED runs beyond one per group), seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

ROWS_PER_GROUP = 60
SCHEMA = "group long, run_id string, rmse double"


def make_data(groups: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), ROWS_PER_GROUP)
    x1, x2 = rng.normal(size=g.size), rng.normal(size=g.size)
    y = (1 + g % 5) * x1 - 0.5 * x2 + rng.normal(scale=0.1, size=g.size)
    return pd.DataFrame({"group": g, "x1": x1, "x2": x2, "y": y})


def fit(pdf: pd.DataFrame) -> tuple[object, float, float]:
    from sklearn.linear_model import Ridge

    alpha = 0.1 + (int(pdf.group.iloc[0]) % 3) / 10
    model = Ridge(alpha=alpha).fit(pdf[["x1", "x2"]], pdf.y)
    rmse = float(np.sqrt(np.mean((model.predict(pdf[["x1", "x2"]]) - pdf.y) ** 2)))
    return model, alpha, rmse


def fail_once(markers: Path, group: int, failing: set[int]) -> None:
    """Raise the first time a failing group gets here: an executor lost mid-task."""
    marker = markers / f"group-{group}"
    if group in failing and not marker.exists():
        marker.touch()
        raise RuntimeError(f"injected failure in group {group}")


def mlflowrest_task(
    client, experiment_id: str, job: str, job_ts: int, markers: Path, failing: set[int]
):
    import mlflowrest

    def train_and_log(pdf: pd.DataFrame) -> pd.DataFrame:
        group = int(pdf.group.iloc[0])
        with mlflowrest.start_run(
            experiment_id=experiment_id, run_name=f"group-{group}", idempotency_key=f"{job}/group-{group}",
            client=client,
        ) as run:  # fmt: skip
            if run.already_finished:  # an earlier attempt of this task did the work
                logged = run.run.data.metrics if run.run.data else []
                rmse = next(
                    (m.value for m in logged or [] if m.key == "rmse"), float("nan")
                )
                return pd.DataFrame(
                    {"group": [group], "run_id": [run.run_id], "rmse": [rmse]}
                )
            model, alpha, rmse = fit(pdf)
            run.log_params({"alpha": alpha, "rows": len(pdf)})
            fail_once(markers, group, failing)
            run.log_metric("rmse", rmse, step=0, timestamp=job_ts)
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "model.pkl").write_bytes(pickle.dumps(model))
                (Path(tmp) / "summary.json").write_text(
                    json.dumps({"group": group, "rmse": rmse, "alpha": alpha})
                )
                run.log_artifacts(tmp, "model")
            return pd.DataFrame(
                {"group": [group], "run_id": [run.run_id], "rmse": [rmse]}
            )

    return train_and_log


def unlogged_task(markers: Path, failing: set[int]):
    """The same fits and injected failures with no logging: the job's own time (bench/spark.py's floor)."""

    def train(pdf: pd.DataFrame) -> pd.DataFrame:
        group = int(pdf.group.iloc[0])
        _, _, rmse = fit(pdf)
        fail_once(markers, group, failing)
        return pd.DataFrame({"group": [group], "run_id": [""], "rmse": [rmse]})

    return train


def official_task(
    uri: str, experiment_id: str, job_ts: int, markers: Path, failing: set[int]
):
    def train_and_log(pdf: pd.DataFrame) -> pd.DataFrame:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(uri)
        group = int(pdf.group.iloc[0])
        run_id = client.create_run(experiment_id, run_name=f"group-{group}").info.run_id
        try:
            model, alpha, rmse = fit(pdf)
            client.log_param(run_id, "alpha", alpha)
            client.log_param(run_id, "rows", len(pdf))
            fail_once(markers, group, failing)
            client.log_metric(run_id, "rmse", rmse, timestamp=job_ts, step=0)
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "model.pkl").write_bytes(pickle.dumps(model))
                (Path(tmp) / "summary.json").write_text(
                    json.dumps({"group": group, "rmse": rmse, "alpha": alpha})
                )
                client.log_artifacts(run_id, tmp, "model")
        except BaseException:
            client.set_terminated(run_id, "FAILED")
            raise
        client.set_terminated(run_id, "FINISHED")
        return pd.DataFrame({"group": [group], "run_id": [run_id], "rmse": [rmse]})

    return train_and_log


def choose_failing(spark, groups: int, partitions: int, k: int) -> set[int]:
    """K groups to fail once, at most two per shuffle partition (a task gets 4 attempts, and each
    failing group costs its partition one), preferring partitions shared with other groups so
    that a retry re-runs groups that had already finished."""
    from pyspark.sql import functions as F

    rows = spark.range(groups).select(
        F.col("id").alias("group"), F.expr(f"pmod(hash(id), {partitions})").alias("p")
    )
    by_partition: dict[int, list[int]] = {}
    for row in rows.collect():
        by_partition.setdefault(row.p, []).append(row.group)
    chosen: list[int] = []
    for members in sorted(by_partition.values(), key=len, reverse=True):
        chosen += sorted(members)[:2]
    return set(chosen[:k])


def is_complete(client, run) -> bool:
    """Params, the metric and both files: what a group's run must hold."""
    params = {p.key for p in run.data.params or []}
    metrics = {m.key for m in run.data.metrics or []}
    files = {f.path for f in client.artifacts.list_files(run.info.run_id, "model")}
    return (
        params >= {"alpha", "rows"}
        and "rmse" in metrics
        and files >= {"model/model.pkl", "model/summary.json"}
    )


def count(uri: str, experiment_id: str, groups: int) -> dict[str, int]:
    """What the server holds: runs, FINISHED runs, and groups with more than one FINISHED run."""
    from mlflowrest import MlflowClient

    client = MlflowClient(uri)
    runs = list(
        client.runs.search(experiment_ids=[experiment_id], run_view_type="ACTIVE_ONLY")
    )
    finished: dict[str, int] = {}
    complete = 0
    for r in runs:
        if r.info is not None and r.info.status == "FINISHED":
            name = r.info.run_name or ""
            finished[name] = finished.get(name, 0) + 1
            complete += is_complete(client, r)
    return {
        "complete": complete,
        "runs": len(runs),
        "finished": sum(finished.values()),
        "groups_finished": len(finished),
        "duplicates": sum(n - 1 for n in finished.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument(
        "--fail",
        type=int,
        default=20,
        help="groups that fail once after creating their run",
    )
    parser.add_argument(
        "--client", choices=["mlflowrest", "official", "none"], default="mlflowrest",
        help="none: the same job without logging",
    )
    parser.add_argument(
        "--partitions",
        type=int,
        default=200,
        help="spark.sql.shuffle.partitions (Spark's default)",
    )
    args = parser.parse_args()
    uri = os.environ["MLFLOW_TRACKING_URI"]
    os.environ.setdefault(
        "PYSPARK_PYTHON", sys.executable
    )  # executors import the same packages

    from pyspark.sql import SparkSession

    from mlflowrest import MlflowClient

    client = MlflowClient(uri)  # built on the driver, pickled into every task
    job = f"many-models-{uuid.uuid4().hex[:8]}"
    experiment_id = client.experiments.get_or_create(f"{job}-{args.client}")
    job_ts = int(time.time() * 1000)
    markers = Path(tempfile.mkdtemp(prefix="spark-markers-"))

    spark = (
        SparkSession.builder.master("local[2,4]").appName(job)
        .config("spark.sql.shuffle.partitions", str(args.partitions))
        .config("spark.sql.adaptive.coalescePartitions.enabled", "false")  # keep the partitions: what retries re-run
        .config("spark.ui.enabled", "false").config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )  # fmt: skip
    spark.sparkContext.setLogLevel("ERROR")
    try:
        failing = choose_failing(spark, args.groups, args.partitions, args.fail)
        if args.client == "mlflowrest":
            task = mlflowrest_task(client, experiment_id, job, job_ts, markers, failing)
        elif args.client == "none":
            task = unlogged_task(markers, failing)
        else:
            task = official_task(uri, experiment_id, job_ts, markers, failing)
        began = time.monotonic()
        data = spark.createDataFrame(make_data(args.groups))
        result = data.groupBy("group").applyInPandas(task, schema=SCHEMA).collect()
        seconds = time.monotonic() - began
    finally:
        spark.stop()
    row = {"client": args.client, "groups": args.groups, "failed_attempts": len(list(markers.iterdir())),
           "returned": len(result), **count(uri, experiment_id, args.groups), "seconds": round(seconds, 1),
           "experiment_id": experiment_id}  # fmt: skip
    print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
