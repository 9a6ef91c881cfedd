"""Python workloads, run in a child process per measurement so memory and state never leak.

    python bench/pyworkloads.py <workload> <client> <size> <tracking_uri>

prints one JSON object: {"seconds": wall, "cpu": client CPU seconds, ...workload extras}.
Clients: sdk (mlflowrest), floor (the same JSON through a kept-alive requests.Session),
fresh (a new connection per request), official (mlflow's MlflowClient at the pinned version).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Timer = Callable[[], float]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _session(uri: str) -> Any:
    import requests

    session = requests.Session()
    return lambda method, path, **kw: session.request(method, uri + path, **kw)


def _fresh(uri: str) -> Any:
    import requests

    def call(method: str, path: str, **kw: Any) -> Any:
        kw.setdefault("headers", {})["Connection"] = "close"
        return requests.request(method, uri + path, **kw)

    return call


def _raw(client: str, uri: str) -> Any:
    return _session(uri) if client == "floor" else _fresh(uri)


def _new_run(uri: str) -> str:
    import requests

    r = requests.post(f"{uri}/api/2.0/mlflow/runs/create", json={"experiment_id": "0", "start_time": _now_ms()})
    r.raise_for_status()
    return str(r.json()["run"]["info"]["run_id"])


# ---- workloads ----------------------------------------------------------------------------------
def log_metric(client: str, size: int, uri: str) -> dict[str, Any]:
    run_id = _new_run(uri)
    if client == "sdk":
        from mlflowrest import MlflowClient

        sdk = MlflowClient(uri)
        call: Callable[[int], Any] = lambda i: sdk.runs.log_metric(  # noqa: E731
            run_id=run_id, key="m", value=float(i), timestamp=_now_ms(), step=i
        )
    elif client == "official":
        from mlflow import MlflowClient as Official

        official = Official(uri)
        call = lambda i: official.log_metric(run_id, "m", float(i), step=i)  # noqa: E731
    else:
        send = _raw(client, uri)

        def call(i: int) -> Any:
            body = {"run_id": run_id, "key": "m", "value": float(i), "timestamp": _now_ms(), "step": i}
            send("POST", "/api/2.0/mlflow/runs/log-metric", json=body).raise_for_status()

    call(-1)  # connection and imports out of the measurement
    return _measure(lambda: [call(i) for i in range(size)], per=size)


def log_batch(client: str, size: int, uri: str) -> dict[str, Any]:
    run_id = _new_run(uri)
    ts = _now_ms()
    if client == "sdk":
        from mlflowrest import MlflowClient, models

        sdk = MlflowClient(uri)
        sdk.runs.get(run_id=run_id)

        def work() -> None:
            points = [models.Metric(key=f"m{i % 10}", value=i * 0.5, timestamp=ts, step=i) for i in range(size)]
            sdk.runs.log_batch(run_id=run_id, metrics=points)
    elif client == "official":
        from mlflow import MlflowClient as Official
        from mlflow.entities import Metric

        official = Official(uri)
        official.get_run(run_id)

        def work() -> None:
            points = [Metric(key=f"m{i % 10}", value=i * 0.5, timestamp=ts, step=i) for i in range(size)]
            official.log_batch(run_id, metrics=points)
    else:
        send = _raw(client, uri)

        def work() -> None:
            for start in range(0, size, 1000):
                metrics = [{"key": f"m{i % 10}", "value": i * 0.5, "timestamp": ts, "step": i}
                           for i in range(start, min(size, start + 1000))]  # fmt: skip
                body = {"run_id": run_id, "metrics": metrics}
                send("POST", "/api/2.0/mlflow/runs/log-batch", json=body).raise_for_status()

    result = _measure(work, per=size)
    if client == "sdk":  # concurrent chunks: prove every point arrived (outside the timing)
        from mlflowrest import MlflowClient as Check

        stored = len(list(Check(uri).metrics.get_history(run_id=run_id, metric_key="m0")))
        assert stored == len(range(0, size, 10)), f"{stored} of {len(range(0, size, 10))} m0 points stored"
    return result


def typical_run(client: str, size: int, uri: str) -> dict[str, Any]:
    """`size` runs, each: create, 10 params, 10 metrics, 5 tags, end - one call each."""
    if client == "sdk":
        from mlflowrest import MlflowClient

        sdk = MlflowClient(uri)

        def one() -> None:
            run = sdk.runs.create(experiment_id="0").run
            assert run is not None and run.info is not None and run.info.run_id
            rid = run.info.run_id
            for i in range(10):
                sdk.runs.log_param(run_id=rid, key=f"p{i}", value=str(i))
            for i in range(10):
                sdk.runs.log_metric(run_id=rid, key=f"m{i}", value=float(i), timestamp=_now_ms(), step=0)
            for i in range(5):
                sdk.runs.set_tag(run_id=rid, key=f"t{i}", value="v")
            sdk.runs.update(run_id=rid, status="FINISHED", end_time=_now_ms())
    elif client == "official":
        from mlflow import MlflowClient as Official

        official = Official(uri)

        def one() -> None:
            rid = official.create_run("0").info.run_id
            for i in range(10):
                official.log_param(rid, f"p{i}", str(i))
            for i in range(10):
                official.log_metric(rid, f"m{i}", float(i))
            for i in range(5):
                official.set_tag(rid, f"t{i}", "v")
            official.set_terminated(rid, "FINISHED")
    else:
        send = _raw(client, uri)

        def one() -> None:
            r = send("POST", "/api/2.0/mlflow/runs/create", json={"experiment_id": "0", "start_time": _now_ms()})
            rid = r.json()["run"]["info"]["run_id"]
            for i in range(10):
                send("POST", "/api/2.0/mlflow/runs/log-parameter",
                     json={"run_id": rid, "key": f"p{i}", "value": str(i)})
            for i in range(10):
                send("POST", "/api/2.0/mlflow/runs/log-metric",
                     json={"run_id": rid, "key": f"m{i}", "value": float(i), "timestamp": _now_ms(), "step": 0})
            for i in range(5):
                send("POST", "/api/2.0/mlflow/runs/set-tag", json={"run_id": rid, "key": f"t{i}", "value": "v"})
            send("POST", "/api/2.0/mlflow/runs/update",
                 json={"run_id": rid, "status": "FINISHED", "end_time": _now_ms()})  # fmt: skip

    def all_runs() -> None:
        for _ in range(size):
            one()

    one()  # warm-up
    return _measure(all_runs, per=size)


def training_loop(client: str, size: int, uri: str) -> dict[str, Any]:
    """One metric per step through a background logger: time inside the loop, then until durable."""
    if client in ("sdk", "sdk-journal"):
        from mlflowrest import MlflowClient, start_run

        # sdk-journal: every batch is recorded on disk before it is sent (docs/journal.md).
        journal = tempfile.mkdtemp(prefix="mlflowrest-journal-") if client == "sdk-journal" else None
        sdk = MlflowClient(uri, journal_dir=journal)
        run = start_run(client=sdk, background=True)
        log, finish, rid = run.log_metric, run.end, run.run_id
    else:
        os.environ.pop("MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS", None)
        if client == "official-buffered":
            os.environ["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = "1"
        import mlflow

        mlflow.set_tracking_uri(uri)
        active = mlflow.start_run()
        rid = active.info.run_id

        # mypy is told to ignore both: the SDK branch binds these names to its run's methods
        def log(key: str, value: float, step: int) -> None:  # type: ignore[misc]
            mlflow.log_metric(key, value, step=step, synchronous=False)

        def finish() -> None:  # type: ignore[misc]
            mlflow.flush_async_logging()
            mlflow.end_run()

    start = time.perf_counter()
    cpu = time.process_time()
    for step in range(size):
        log("loss", 1.0 / (step + 1), step=step)
    in_loop = time.perf_counter() - start
    finish()
    durable = time.perf_counter() - start
    cpu = time.process_time() - cpu
    from mlflowrest import MlflowClient as Check

    stored = len(list(Check(uri).metrics.get_history(run_id=rid, metric_key="loss")))
    assert stored == size, f"{stored} of {size} points on the server"
    return {"seconds": durable, "cpu": cpu, "per_call_us": in_loop / size * 1e6, "loop_seconds": in_loop,
            "durable_after_loop_s": durable - in_loop}  # fmt: skip


def artifacts(client: str, size: int, uri: str) -> dict[str, Any]:
    """Upload then download one file of `size` bytes; peak RSS of this process tells memory."""
    tmp = Path(tempfile.mkdtemp(prefix="mlflowrest-bench-"))
    src = tmp / "blob.bin"
    with open(src, "wb") as fh:
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            fh.write(block)
    run_id = _new_run(uri)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if client == "sdk":
        from mlflowrest import MlflowClient

        sdk = MlflowClient(uri)
        warm_up: Callable[[], Any] = lambda: sdk.artifacts.list_files(run_id)  # noqa: E731
        up: Callable[[], Any] = lambda: sdk.artifacts.upload(run_id, src)  # noqa: E731
        down: Callable[[], Any] = lambda: sdk.artifacts.download(run_id, "blob.bin", tmp / "out")  # noqa: E731
    elif client == "official":
        from mlflow import MlflowClient as Official

        official = Official(uri)
        warm_up = lambda: official.list_artifacts(run_id)  # noqa: E731
        up = lambda: official.log_artifact(run_id, str(src))  # noqa: E731
        down = lambda: official.download_artifacts(run_id, "blob.bin", str(tmp / "out"))  # noqa: E731
    elif _artifact_uri(uri, run_id).startswith("s3://"):  # the S3 floor: boto3 straight to the bucket
        import boto3

        bucket, _, prefix = _artifact_uri(uri, run_id).removeprefix("s3://").partition("/")
        s3 = boto3.client("s3", endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL"))
        key = f"{prefix}/blob.bin"
        warm_up = lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix)  # noqa: E731
        up = lambda: s3.upload_file(str(src), bucket, key)  # noqa: E731

        def down() -> None:
            (tmp / "out").mkdir(exist_ok=True)
            s3.download_file(bucket, key, str(tmp / "out" / "blob.bin"))

    else:
        import requests

        session = requests.Session()
        path = _artifact_uri(uri, run_id).removeprefix("mlflow-artifacts:/") + "/blob.bin"
        url = f"{uri}/api/2.0/mlflow-artifacts/artifacts/{path}"
        warm_up = lambda: session.get(f"{uri}/api/2.0/mlflow-artifacts/artifacts", params={"path": path})  # noqa: E731

        def up() -> None:
            with open(src, "rb") as fh:
                session.put(url, data=fh).raise_for_status()

        def down() -> None:
            (tmp / "out").mkdir(exist_ok=True)
            with session.get(url, stream=True) as r, open(tmp / "out" / "blob.bin", "wb") as fh:
                r.raise_for_status()
                for chunk in r.iter_content(1 << 20):
                    fh.write(chunk)

    warm_up()  # imports, class set-up, the run lookup and a first request out of the timing
    t0 = time.perf_counter()
    up()
    t1 = time.perf_counter()
    down()
    t2 = time.perf_counter()
    same = (tmp / "out" / "blob.bin").stat().st_size == size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for p in sorted(tmp.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    tmp.rmdir()
    assert same, "downloaded size differs"
    return {"seconds": t2 - t0, "upload_s": t1 - t0, "download_s": t2 - t1,
            "mb_per_s": 2 * size / (t2 - t0) / 1e6, "peak_rss_mb": peak / 1024,
            "rss_growth_mb": (peak - base_rss) / 1024}  # fmt: skip


def _artifact_uri(uri: str, run_id: str) -> str:
    import requests

    return str(requests.get(f"{uri}/api/2.0/mlflow/runs/get", params={"run_id": run_id}).json()["run"]["info"]
               ["artifact_uri"])  # fmt: skip


def _measure(work: Callable[[], Any], per: int) -> dict[str, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": wall, "cpu": cpu, "per_item_ms": wall / per * 1000, "cpu_per_item_ms": cpu / per * 1000}


WORKLOADS = {f.__name__: f for f in (log_metric, log_batch, typical_run, training_loop, artifacts)}

if __name__ == "__main__":
    name, client, size, uri = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    print(json.dumps(WORKLOADS[name](client, size, uri)))
