"""make bench (Spark): the many-models jobs at the issue's size, each client side by side, one server.

The PySpark job (examples/spark/many_models.py) and the JVM job (examples/spark-java) train one
model per group and log one run per group from the executors, with K groups failing once after
creating their run, so Spark retries their partitions (and re-runs groups already done). Each runs
with mlflowrest and with the official client, and the PySpark job once without logging (its
floor), against a 4-worker server on PostgreSQL. The table is the Spark section of
bench/results.md: groups, attempts failed, runs left, FINISHED runs, complete runs (params,
metric and files), duplicate FINISHED runs, and the job's seconds.

    python bench/spark.py [--groups 200] [--fail 20] [--partitions 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from tests.harness import MlflowServer  # noqa: E402
from tests.harness.postgres import PostgresServer  # noqa: E402

JOBS = [("python", "none"), ("python", "mlflowrest"), ("python", "official"),
        ("java", "mlflowrest"), ("java", "official")]  # fmt: skip
LABEL = {"none": "no logging (floor)", "mlflowrest": "mlflowrest", "official": "official client"}


def job_command(lang: str, client: str, groups: int, fail: int, partitions: int) -> list[str]:
    """The PySpark or JVM job's command line, run from the repository root (also tests/examples/test_spark.py)."""
    if lang == "python":
        return [sys.executable, "examples/spark/many_models.py", "--groups", str(groups), "--fail", str(fail),
                "--partitions", str(partitions), "--client", client]  # fmt: skip
    return ["examples/spark-java/run.sh", str(groups), str(fail), str(partitions), client]


def run_job(url: str, lang: str, client: str, groups: int, fail: int, partitions: int) -> dict[str, Any]:
    cmd = job_command(lang, client, groups, fail, partitions)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "MLFLOW_TRACKING_URI": url})  # fmt: skip
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"lang": lang, "client": client, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]}
    # The JVM job names its client java-<kind>.
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "lang": lang, "client": client}


def table(rows: list[dict[str, Any]]) -> str:
    head = "| job | client | groups | attempts failed | runs | FINISHED | complete | duplicates | seconds | x floor |"
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|"]
    floor = next((r["seconds"] for r in rows if r.get("client") == "none" and "seconds" in r), None)
    for r in rows:
        job = "PySpark applyInPandas" if r["lang"] == "python" else "JVM mapPartitions"
        if "error" in r:
            lines.append(f"| {job} | {LABEL[r['client']]} | not measured: {r['error']} | | | | | | | |")
            continue
        logged = r["client"] != "none"
        cells = [str(r[k]) if logged else "-" for k in ("runs", "finished", "complete", "duplicates")]
        ratio = f"{r['seconds'] / floor:.2f}" if floor and r["lang"] == "python" else "-"
        lines.append(f"| {job} | {LABEL[r['client']]} | {r['groups']} | {r['failed_attempts']} | "
                     f"{' | '.join(cells)} | {r['seconds']} | {ratio} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--fail", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=200)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    args = parser.parse_args()
    began = time.monotonic()
    rows = []
    with PostgresServer() as pg, MlflowServer(workers=4, backend_store_uri=pg.uri, jobs=True) as server:
        server.wait_quiet()
        for lang, client in JOBS:
            row = run_job(server.url, lang, client, args.groups, args.fail, args.partitions)
            print(json.dumps(row), flush=True)
            rows.append(row)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    md = (f"## Spark many-models jobs\n\n{args.groups} groups, {args.fail} failing once after creating their run, "
          f"{args.partitions} shuffle partitions, `local[2,4]`, a 4-worker server on PostgreSQL "
          f"(`python bench/spark.py`, {time.strftime('%Y-%m-%d')}). mlflowrest starts each group's run with "
          "`idempotency_key=<job>/group-<g>`; the official clients have no key. Runs counts the job's active "
          "runs; duplicates counts FINISHED runs beyond one per group; x floor is to the same PySpark job "
          f"without logging.\n\n{table(rows)}\n\nThe run took {time.monotonic() - began:.0f} s; load average at "
          f"its end {load} on {os.cpu_count()} cores.\n")  # fmt: skip
    report.write_section(Path(args.out), "spark", md)
    print(table(rows))
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
