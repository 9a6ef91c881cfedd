"""make bench (many writers): N writer processes x M points each, in 500-point log_batch requests,
against a 4-worker server on PostgreSQL and a --workers 1 server on SQLite, in one run.

Each writer (bench/writer.py) imports its client, then all start at once; the figures are the
aggregate points/s over the window from the first start to the last end, the client CPU per
point, the points the server stored against those sent, and the errors each client surfaced.
The floor is raw `requests` without retries; mlflowrest and the official client run beside it.

    python bench/many_writers.py [--quick] [--out DIR]
        --quick: 8 writers x 1000 points on the --workers 1 SQLite server only (make test's smoke check)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlflowrest import MlflowClient  # noqa: E402
from tests.harness import MlflowServer  # noqa: E402
from tests.harness.postgres import PostgresServer  # noqa: E402

CLIENTS = ["raw", "sdk", "official"]
LABEL = {
    "raw": "raw requests (floor)",
    "sdk": "mlflowrest",
    "official": "official MlflowClient",
}


def cell(server: MlflowServer, client: str, writers: int, points: int) -> dict[str, Any]:
    sdk = MlflowClient(server.url)
    exp = sdk.experiments.get_or_create(f"writers-{client}-{writers}-{time.time_ns()}")
    run_ids = [sdk.runs.create(experiment_id=exp).run.info.run_id for _ in range(writers)]
    work = Path(tempfile.mkdtemp(prefix="writers-"))
    go = work / "go"
    writer = [sys.executable, str(ROOT / "bench" / "writer.py"), client, server.url]
    procs = [
        subprocess.Popen(
            [*writer, rid, str(points), str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for rid in run_ids
    ]
    deadline = time.monotonic() + 600
    while len(list(work.glob("go.ready.*"))) < writers and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()
    rows = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        line = out.strip().splitlines()[-1] if out.strip() else "{}"
        rows.append(json.loads(line))
        if rows[-1].get("errors") and err.strip():
            print(f"{client}: {err.strip().splitlines()[-1][:300]}", file=sys.stderr)
    sent = sum(r.get("sent", 0) for r in rows)
    window = max(r["end"] for r in rows) - min(r["start"] for r in rows)
    stored = sum(_stored(sdk, rid) for rid in run_ids)
    return {
        "client": client, "writers": writers, "points": writers * points, "sent": sent, "stored": stored,
        "errors": sum(r.get("errors", 0) for r in rows), "seconds": round(window, 2),
        "points_per_s": round(sent / window) if window > 0 else 0,
        "cpu_us_per_point": round(1e6 * sum(r.get("cpu", 0.0) for r in rows) / max(sent, 1), 1),
    }  # fmt: skip


def _stored(sdk: MlflowClient, run_id: str) -> int:
    return sum(len(list(sdk.metrics.get_history(run_id=run_id, metric_key=f"m{k}"))) for k in range(10))


def run_config(name: str, server: MlflowServer, writer_counts: list[int], points: int) -> list[dict[str, Any]]:
    out = []
    for writers in writer_counts:
        for client in CLIENTS:
            row = {"config": name, **cell(server, client, writers, points)}
            print(json.dumps(row), flush=True)
            out.append(row)
    return out


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| server | writers | client | points/s | x raw | stored / sent | errors | client CPU µs/point |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        raw = next(
            x for x in rows if x["config"] == r["config"] and x["writers"] == r["writers"] and x["client"] == "raw"
        )
        ratio = r["points_per_s"] / raw["points_per_s"] if raw["points_per_s"] else float("nan")
        lines.append(f"| {r['config']} | {r['writers']} | {LABEL[r['client']]} | {r['points_per_s']:,} | {ratio:.2f} | "
                     f"{r['stored']:,} / {r['points']:,} | {r['errors']} | {r['cpu_us_per_point']} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench"))
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    if args.quick:
        with MlflowServer(workers=1) as server:
            server.wait_quiet()
            rows += run_config("sqlite, --workers 1", server, [8], 1000)
    else:
        with (
            PostgresServer() as pg,
            MlflowServer(workers=4, backend_store_uri=pg.uri) as server,
        ):
            server.wait_quiet()
            rows += run_config("postgres, 4 workers", server, [16, 64], 2000)
        with MlflowServer(workers=1) as server:
            server.wait_quiet()
            rows += run_config("sqlite, --workers 1", server, [16, 64], 2000)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results_writers.json").write_text(json.dumps(rows, indent=1) + "\n")
    md = ("# Many writers\n\nN writer processes x M points each, 500-point log_batch requests, all started at "
          "once (`python bench/many_writers.py`). Ratios are to raw `requests` on the same server and writer "
          f"count, measured in one run on {time.strftime('%Y-%m-%d')}.\n\n{table(rows)}\n")  # fmt: skip
    (out / "results_writers.md").write_text(md)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
