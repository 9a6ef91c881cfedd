"""make bench: every SDK beside its language's raw-HTTP floor and the official client, in one run.

For each server configuration (the default 4-worker server users run, and --workers 1) and
each workload, a fresh server (fresh store) is started; every client runs the workload in a
child process of its own. Writes bench/results.json and bench/results.md.

    python bench/run.py [--quick | --issue-sizes]
        --quick: smallest sizes, one server per configuration (the smoke check in make test)
        --issue-sizes: the issue's sizes, 1M-point log_batch included (about an hour here)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import javac, report  # noqa: E402
from tests.harness import MlflowServer  # noqa: E402

PY = sys.executable
JAR = ROOT / "java" / "example" / "target" / "mlflowrest-example.jar"
COMPAT_CLASSES = ROOT / "java" / "compat" / "target" / "classes"  # the drop-in (make setup-java)
# An AppCDS archive of the classes the SDK's first metric loads, and the jar it was made with (make bench-java-cds).
JAVA_CDS = ROOT / ".work" / "bench-java-cds" / "mlflowrest.jsa"
JAVA_CDS_JAR = JAVA_CDS.parent / "bench.jar"
RLIB = ROOT / ".work" / "rlib"
# An earlier build of the library, to measure a start-up change side by side (`--java-startup` only).
JAVA_BEFORE_JAR = os.environ.get("BENCH_JAVA_BEFORE_JAR")

# Sizes: three per workload to show how cost grows; --quick takes the first only.
# Chosen so `make bench` fits in 20 minutes on 2 cores. The server stores ~6-11k metric points a
# second, so the 1M-point log_batch of ISSUE_SIZES takes ~2 minutes per client and configuration
# (8 clients, 2 configurations: over half an hour for that cell alone); --issue-sizes runs them.
SIZES: dict[str, list[int]] = {
    "log_metric": [40, 120, 300],
    "log_batch": [5_000, 20_000, 40_000],
    "typical_run": [1, 2, 5],
    "training_loop": [5_000, 20_000, 40_000],
    "artifacts": [1 << 20, 100 << 20, 1 << 30],
}
ISSUE_SIZES: dict[str, list[int]] = {
    "log_metric": [100, 300, 1000],
    "log_batch": [10_000, 100_000, 1_000_000],
    "typical_run": [1, 3, 10],
    "training_loop": [10_000, 30_000, 100_000],
    "artifacts": [1 << 20, 100 << 20, 1 << 30],
}
QUICK_SIZES = {"log_metric": [30], "log_batch": [3000], "typical_run": [1], "training_loop": [2000],
               "artifacts": [1 << 20]}  # fmt: skip

# (language, client) pairs per workload; the floor is each language's plain HTTP client.
CLIENTS: dict[str, list[tuple[str, str]]] = {
    "log_metric": [("python", "sdk"), ("python", "floor"), ("python", "fresh"), ("python", "official"),
                   ("java", "sdk"), ("java", "floor"), ("java", "official"), ("r", "sdk"), ("r", "floor")],
    "log_batch": [("python", "sdk"), ("python", "floor"), ("python", "official"),
                  ("java", "sdk"), ("java", "floor"), ("java", "official"), ("r", "sdk"), ("r", "floor")],
    "typical_run": [("python", "sdk"), ("python", "floor"), ("python", "fresh"), ("python", "official"),
                    ("java", "sdk"), ("java", "floor"), ("java", "official"), ("r", "sdk"), ("r", "floor")],
    "training_loop": [("python", "sdk"), ("python", "sdk-journal"), ("python", "official-buffered"),
                      ("python", "official"), ("java", "sdk"), ("java", "sdk-journal"), ("r", "sdk"),
                      ("r", "sdk-journal")],
    "artifacts": [("python", "sdk"), ("python", "floor"), ("python", "official"),
                  ("java", "sdk"), ("java", "floor"), ("r", "sdk"), ("r", "floor")],
}  # fmt: skip
# The S3 cell (a --workers 1 server with --default-artifact-root s3://..., s3proxy behind it);
# Python's floor there is boto3 straight to the bucket.
S3_CONFIG = "S3 store (--workers 1)"
S3_CLIENTS = [("python", "sdk"), ("python", "floor"), ("python", "official")]
# Measured to take minutes beyond these sizes: MLflow's unbuffered async logging sends one request
# per call (117 s for 10k points here); the official Java client's logBatch spends seconds of CPU
# per 10k points in protobuf JSON.
SLOW = {("training_loop", "python", "official"): 1000, ("log_batch", "java", "official"): 100_000}


def command(lang: str, workload: str, client: str, size: int, uri: str) -> list[str] | None:
    if lang == "python":
        return [PY, str(ROOT / "bench" / "pyworkloads.py"), workload, client, str(size), uri]
    if lang == "java" and _java_classes():
        if client == "sdk-before" and JAVA_BEFORE_JAR:
            return ["java", "-Xmx512m", "-cp", f"{JAVA_BEFORE_JAR}:{JAVA_CLASSES}", "Bench", workload, "sdk",
                    str(size), uri]  # fmt: skip
        if client == "sdk-cds":  # the archive only matches the class path it was made with
            return ["java", "-Xmx512m", f"-XX:SharedArchiveFile={JAVA_CDS}", "-Xshare:on", "-cp",
                    f"{JAR}:{JAVA_CDS_JAR}", "Bench", workload, "sdk", str(size), uri]  # fmt: skip
        return ["java", "-Xmx512m", "-cp", f"{JAR}:{JAVA_CLASSES}:{COMPAT_CLASSES}", "Bench", workload, client,
                str(size), uri]  # fmt: skip
    if lang == "r" and (RLIB / "mlflowrest").is_dir() and shutil.which("Rscript"):
        return ["Rscript", "--vanilla", str(ROOT / "bench" / "r" / "bench.R"), workload, client, str(size), uri]
    return None


JAVA_CLASSES = ROOT / ".work" / "bench-java"


def _java_classes() -> bool:
    return javac.compile_once(ROOT / "bench" / "java" / "Bench.java", JAVA_CLASSES, [JAR, COMPAT_CLASSES])


def measure(lang: str, workload: str, client: str, size: int, uri: str,
            store_env: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    cmd = command(lang, workload, client, size, uri)
    if cmd is None:
        return {"error": f"{lang} SDK not built"}
    if (workload, lang, client) in SLOW and size > SLOW[(workload, lang, client)]:
        return {"skipped": f"> {SLOW[(workload, lang, client)]} takes minutes (see notes)"}
    env = {**os.environ, **(store_env or {}), "R_LIBS": str(RLIB), "MLFLOW_TRACKING_URI": uri}
    began = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 900 s"}
    elapsed = time.monotonic() - began
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1][:200] if (proc.stderr or proc.stdout)
                else f"exit {proc.returncode}"}  # fmt: skip
    try:
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"no JSON result: {proc.stdout[-200:]!r}"}
    return {**result, "process_s": elapsed}  # the child's whole life: start-up, set-up and the work


@contextmanager
def server(workers: int | None, jobs: bool = True) -> Iterator[tuple[MlflowServer, float]]:
    """A fresh server, quiet and warm; also how long it stayed busy after /health answered.
    jobs: with MLflow's job runner, as users run it (the quick smoke check goes without)."""
    with MlflowServer(workers=workers, startup_timeout=180, jobs=jobs) as s:
        busy = s.wait_quiet()
        warm_up(s.url)
        s.wait_quiet(timeout=10)
        yield s, busy


def warm_up(uri: str, rounds: int = 12) -> None:
    """First requests to each worker process pay its lazy imports and caches: send every kind of
    request the workloads send, on fresh connections so the kernel spreads them over the workers."""
    import requests

    def post(path: str, body: dict[str, Any]) -> Any:
        r = requests.post(f"{uri}/api/2.0/mlflow/{path}", json=body, headers={"Connection": "close"}, timeout=60)
        r.raise_for_status()
        return r.json()

    for _ in range(rounds):
        run = post("runs/create", {"experiment_id": "0", "start_time": int(time.time() * 1000)})["run"]["info"]
        rid = run["run_id"]
        post("runs/log-metric", {"run_id": rid, "key": "m", "value": 1.0, "timestamp": 1, "step": 0})
        post("runs/log-batch", {"run_id": rid, "metrics": [
            {"key": f"m{j % 10}", "value": j, "timestamp": 1, "step": j} for j in range(1000)]})  # fmt: skip
        post("runs/log-parameter", {"run_id": rid, "key": "p", "value": "v"})
        post("runs/set-tag", {"run_id": rid, "key": "t", "value": "v"})
        path = run["artifact_uri"].removeprefix("mlflow-artifacts:/") + "/warm.bin"
        url = f"{uri}/api/2.0/mlflow-artifacts/artifacts/{path}"
        requests.put(url, data=b"x" * 4096, headers={"Connection": "close"}, timeout=60).raise_for_status()
        requests.get(url, headers={"Connection": "close"}, timeout=60).raise_for_status()
        requests.get(f"{uri}/api/2.0/mlflow/runs/get", params={"run_id": rid}, headers={"Connection": "close"},
                     timeout=60).raise_for_status()  # fmt: skip
        post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": int(time.time() * 1000)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smallest sizes only (a smoke check)")
    parser.add_argument("--issue-sizes", action="store_true", help="the issue's sizes (about an hour here)")
    parser.add_argument("--out", default=str(ROOT / "bench"))
    parser.add_argument("--report-only", action="store_true", help="rewrite results.md from results.json")
    parser.add_argument("--java-startup", action="store_true",
                        help="measure only the Java start-up rows again, into results.json and results.md")
    args = parser.parse_args()
    if args.java_startup:
        path = Path(args.out) / "results.json"
        doc = json.loads(path.read_text())
        with server(1) as (s, _):
            rounds = int(os.environ.get("BENCH_STARTUP_ROUNDS", "5"))
            doc["startup"].update(_jvm_and_r_startup(s.url, quick=False, langs=("java",), rounds=rounds))
        doc["startup"]["java_measured"] = (f"measured again on {time.strftime('%Y-%m-%d %H:%M')} UTC by "
                                           f"`bench/run.py --java-startup`, {rounds} interleaved rounds (median), "
                                           f"load average "
                                           f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
        path.write_text(json.dumps(doc, indent=1))
        (Path(args.out) / "results.md").write_text(report.markdown(doc))
        return
    if args.report_only:
        name = "results-quick" if args.quick else "results"
        doc = json.loads((Path(args.out) / f"{name}.json").read_text())
        (Path(args.out) / f"{name}.md").write_text(report.markdown(doc))
        return
    sizes = QUICK_SIZES if args.quick else ISSUE_SIZES if args.issue_sizes else SIZES
    began = time.monotonic()
    results: list[dict[str, Any]] = []
    starts: dict[str, list[float]] = {}
    busy: dict[str, list[float]] = {}  # seconds the server kept the CPU busy after /health answered
    configs = [("default (4 workers)", None), ("--workers 1", 1)]
    start: dict[str, Any] = {}
    for config_no, (label, workers) in enumerate(configs):
        # --quick shares one server per configuration; the full run starts one per workload.
        groups = [list(sizes)] if args.quick else [[w] for w in sizes]
        for group_no, group in enumerate(groups):
            with server(workers, jobs=not args.quick) as (s, busy_s):
                starts.setdefault(label, []).append(s.start_seconds or 0.0)
                busy.setdefault(label, []).append(busy_s)
                print(f"[{label}] server ready in {s.start_seconds:.1f} s, busy {busy_s:.1f} s more", flush=True)
                for workload in group:
                    for size in sizes[workload]:
                        for lang, client in CLIENTS[workload]:
                            r = measure(lang, workload, client, size, s.url)
                            results.append({"config": label, "workload": workload, "size": size, "lang": lang,
                                            "client": client, **r})  # fmt: skip
                            print(f"  {workload:13} {size:>10} {lang:6} {client:17} "
                                  f"{report.short(r)}", flush=True)  # fmt: skip
                if (config_no, group_no) == (len(configs) - 1, len(groups) - 1):
                    # Start-up costs on the last --workers 1 server, quiet again: a first metric
                    # does not depend on what the store already holds, and a server less saves ~30 s.
                    from bench.startup import measure as startup

                    s.wait_quiet(timeout=10)
                    start = {**startup(s.url, repeat=3 if args.quick else 5), **_jvm_and_r_startup(s.url, args.quick)}
    results += s3_cell(sizes["artifacts"], starts)
    doc = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": os.getloadavg()},
        "versions": report.versions(),
        "quick": args.quick,
        "issue_sizes": args.issue_sizes,
        "server_start_s": starts,
        "server_busy_after_ready_s": busy,
        "results": results,
        "startup": start,
        "wall_s": time.monotonic() - began,
    }
    out = Path(args.out)
    name = "results-quick" if args.quick else "results"
    (out / f"{name}.json").write_text(json.dumps(doc, indent=1))
    (out / f"{name}.md").write_text(report.markdown(doc))
    print(f"wrote {out / name}.md and .json in {doc['wall_s']:.0f} s")
    errors = [r for r in results if "error" in r]
    for r in errors:
        print(f"could not measure: {r['config']} {r['workload']} {r['size']} {r['lang']} {r['client']}: {r['error']}")
    if args.quick and errors:
        sys.exit(1)  # the smoke check: every workload must still run in every language


def s3_cell(sizes: list[int], starts: dict[str, list[float]]) -> list[dict[str, Any]]:
    """The artifact workload against a server whose artifacts live in S3 (s3proxy): the SDK beside
    boto3 straight to the bucket (the floor) and the official client, in one run."""
    from tests.harness.backends import ArtifactBackend

    results = []
    with ArtifactBackend("s3", workers=1) as backend:
        assert backend.server is not None
        starts.setdefault(S3_CONFIG, []).append(backend.server.start_seconds or 0.0)
        print(f"[{S3_CONFIG}] server ready in {backend.server.start_seconds:.1f} s", flush=True)
        for size in sizes:
            for lang, client in S3_CLIENTS:
                r = measure(lang, "artifacts", client, size, backend.url, store_env=backend.env)
                results.append({"config": S3_CONFIG, "workload": "artifacts", "size": size, "lang": lang,
                                "client": client, **r})  # fmt: skip
                print(f"  {'artifacts':13} {size:>10} {lang:6} {client:17} {report.short(r)}", flush=True)
    return results


def _jvm_and_r_startup(uri: str, quick: bool, langs: tuple[str, ...] = ("java", "r"),
                       rounds: int = 3) -> dict[str, Any]:  # fmt: skip
    """JVM start to first logged metric, and R library load to first logged metric.

    Java: mlflowrest, mlflowrest with the AppCDS archive when `make bench-java-cds` built it, the
    drop-in (io.mlflowrest.compat) and the official client, interleaved so load hits all alike;
    with `--java-startup` and BENCH_JAVA_BEFORE_JAR, an earlier build of the library beside them."""
    out: dict[str, Any] = {}
    before = [("java", "sdk-before")] if JAVA_BEFORE_JAR and langs == ("java",) else []
    cds = [("java", "sdk-cds")] if JAVA_CDS.is_file() else []
    java = [*before, ("java", "sdk"), *cds, ("java", "dropin"), ("java", "official")]
    clients = [c for c in (*java, ("r", "sdk"), ("r", "floor")) if c[0] in langs]
    runs: dict[tuple[str, str], list[float]] = {c: [] for c in clients}
    failed: dict[tuple[str, str], dict[str, Any]] = {}
    for _ in range(1 if quick else rounds):
        for lang, client in clients:
            start = time.perf_counter()
            r = measure(lang, "first_metric", client, 1, uri)
            runs[(lang, client)].append(time.perf_counter() - start)
            if "error" in r:
                failed[(lang, client)] = r
    for (lang, client), times in runs.items():
        out[f"first_metric_{lang}_{client}_s"] = failed.get((lang, client)) or sorted(times)[len(times) // 2]
    return out


if __name__ == "__main__":
    main()
