"""make bench (many writers): N writer processes x M points each, in 500-point log_batch requests,
against a 4-worker server on PostgreSQL and a --workers 1 server on SQLite, in one run.

Each writer process (bench/writer.py for Python, bench/java/Writer.java, bench/r/writer.R) builds
its client, then all start at once; the figures are the aggregate points/s over the window from
the first start to the last end, the client CPU per point, the points the server stored against
those sent, and the errors each client surfaced. Each language's floor is its plain HTTP client
without retries (requests, java.net.http, curl); mlflowrest and the official clients run beside it.

    python bench/many_writers.py [--quick] [--servers postgres,postgres+pool,sqlite] [--rounds N] [--out DIR]
        --quick: 4 writers x 1000 points per client on the --workers 1 SQLite server only (make test's smoke check)
        --servers: measure only these (postgres, postgres+pool, sqlite); the others' rows are kept from the
            last results_writers.json
        --rounds: interleaved rounds per PostgreSQL cell (default ROUNDS_PG)

On PostgreSQL each cell is measured in ROUNDS_PG interleaved rounds and the median is reported: the
server's log_batch deadlocks its pool (5 + 10 connections per worker) when 15 requests meet in one
worker (tests/faults/test_pool_deadlock.py), and with 64 writers on 4 workers that happens in any
client's cell, a round then taking 30-100 s. `postgres+pool` is the same server with room in every
worker's pool for every writer (5 + 60), so its cells measure the clients rather than that deadlock.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import javac, report  # noqa: E402
from mlflowrest import MlflowClient  # noqa: E402
from tests.harness import MlflowServer  # noqa: E402
from tests.harness.postgres import PostgresServer  # noqa: E402

# (language, client) pairs, each language's raw floor first.
CLIENTS = [("python", "raw"), ("python", "sdk"), ("python", "official"),
           ("java", "raw"), ("java", "sdk"), ("java", "official"), ("r", "raw"), ("r", "sdk")]  # fmt: skip
LABEL = {
    ("python", "raw"): "Python raw requests (floor)",
    ("python", "sdk"): "Python mlflowrest",
    ("python", "official"): "Python official MlflowClient",
    ("java", "raw"): "Java raw java.net.http (floor)",
    ("java", "sdk"): "Java mlflowrest",
    ("java", "official"): "Java official mlflow-client",
    ("r", "raw"): "R raw curl (floor)",
    ("r", "sdk"): "R mlflowrest",
}
# The library with its dependencies (make setup-java).
JAR = ROOT / "java" / "example" / "target" / "mlflowrest-example.jar"
JAVA_CLASSES = ROOT / ".work" / "bench-java-writer"
RLIB = ROOT / ".work" / "rlib"


def writer_command(lang: str, client: str) -> list[str] | None:
    """The writer's command line before its run id, points and start file; None when the SDK is not built."""
    if lang == "python":
        return [sys.executable, str(ROOT / "bench" / "writer.py"), client]
    if lang == "java" and _java_writer():
        # A small heap and the serial collector: 64 JVMs share 2 cores and the machine's memory.
        return ["java", "-Xmx256m", "-XX:+UseSerialGC", "-cp", f"{JAR}:{JAVA_CLASSES}", "Writer", client]
    if lang == "r" and (RLIB / "mlflowrest").is_dir() and shutil.which("Rscript"):
        return ["Rscript", "--vanilla", str(ROOT / "bench" / "r" / "writer.R"), client]
    return None


def _java_writer() -> bool:
    return javac.compile_once(ROOT / "bench" / "java" / "Writer.java", JAVA_CLASSES, [JAR])


def cell(server: MlflowServer, lang: str, client: str, writers: int, points: int) -> dict[str, Any]:
    head = writer_command(lang, client)
    if head is None:
        return {"lang": lang, "client": client, "writers": writers, "error": f"{lang} SDK not built"}
    sdk = MlflowClient(server.url)
    exp = sdk.experiments.get_or_create(f"writers-{lang}-{client}-{writers}-{time.time_ns()}")
    run_ids = [sdk.runs.create(experiment_id=exp).run.info.run_id for _ in range(writers)]
    work = Path(tempfile.mkdtemp(prefix="writers-"))
    go = work / "go"
    env = {**os.environ, "R_LIBS": str(RLIB)}
    procs = [
        subprocess.Popen(
            [*head, server.url, rid, str(points), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
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
        if (rows[-1].get("errors") or "sent" not in rows[-1]) and err.strip():
            print(f"{lang} {client}: {err.strip().splitlines()[-1][:300]}", file=sys.stderr)
    if any("start" not in r for r in rows):
        return {"lang": lang, "client": client, "writers": writers, "error": "a writer gave no result"}
    sent = sum(r.get("sent", 0) for r in rows)
    window = max(r["end"] for r in rows) - min(r["start"] for r in rows)
    stored = sum(_stored(sdk, rid) for rid in run_ids)
    return {
        "lang": lang, "client": client, "writers": writers, "points": writers * points, "sent": sent, "stored": stored,
        "errors": sum(r.get("errors", 0) for r in rows), "seconds": round(window, 2),
        "points_per_s": round(sent / window) if window > 0 else 0,
        "cpu_us_per_point": round(1e6 * sum(r.get("cpu", 0.0) for r in rows) / max(sent, 1), 1),
    }  # fmt: skip


def _stored(sdk: MlflowClient, run_id: str) -> int:
    return sum(len(list(sdk.metrics.get_history(run_id=run_id, metric_key=f"m{k}"))) for k in range(10))


# With 64 writers a --workers 1 server stores ~240 points/s, so each cell there takes ~10 minutes:
# the cells the targets name run first, so a run stopped early still has them.
FIRST_WHEN_SLOW = [("python", "sdk"), ("python", "raw"), ("r", "raw"), ("r", "sdk")]


ROUNDS_PG = 3


def run_config(name: str, server: MlflowServer, writer_counts: list[int], points: int,
               done: list[dict[str, Any]], report: Any = None, rounds: int = 1) -> list[dict[str, Any]]:  # fmt: skip
    """Every client at each writer count, `rounds` times interleaved (median reported); `report(rows)`
    after each cell, so a long run's table is on disk as it goes. Rows come back in CLIENTS order
    whatever order they ran in."""
    out: list[dict[str, Any]] = []
    for writers in writer_counts:
        slow = name.startswith("sqlite") and writers >= 64
        rank = {c: FIRST_WHEN_SLOW.index(c) if c in FIRST_WHEN_SLOW and slow else 99 for c in CLIENTS}
        measured: dict[tuple[str, str], list[dict[str, Any]]] = {}
        order = sorted(CLIENTS, key=lambda c: rank[c])  # stable: CLIENTS order unless slow
        for _ in range(rounds):
            for lang, client in order:
                row = {"config": name, "measured": time.strftime("%Y-%m-%d %H:%M"),
                       **cell(server, lang, client, writers, points)}  # fmt: skip
                print(json.dumps(row), flush=True)
                measured.setdefault((lang, client), []).append(row)
                if report is not None:
                    report(done + out + [merged(measured[c]) for c in CLIENTS if c in measured])
        out += [merged(measured[c]) for c in CLIENTS]
    return out


def merged(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One cell's rounds as one row: the median round's throughput and window, totals of points,
    points stored and errors (so a loss in any round shows), CPU per point over all rounds."""
    failed = next((r for r in rows if "error" in r), None)
    if failed is not None or len(rows) == 1:
        return failed or rows[0]
    ranked = sorted(rows, key=lambda r: r["points_per_s"])
    middle = ranked[len(ranked) // 2]
    sent = sum(r["sent"] for r in rows)
    return {
        **middle, "rounds": [r["points_per_s"] for r in rows],
        **{k: sum(r[k] for r in rows) for k in ("points", "sent", "stored", "errors")},
        "cpu_us_per_point": round(sum(r["cpu_us_per_point"] * r["sent"] for r in rows) / max(sent, 1), 1),
    }  # fmt: skip


def table(rows: list[dict[str, Any]]) -> str:
    """One line per cell; x raw is to the same language's floor on the same server and writer count."""
    lines = ["| server | writers | client | points/s (rounds) | x raw | stored / sent | errors | client CPU µs/point |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        label = LABEL[(r["lang"], r["client"])]
        if "error" in r:
            lines.append(f"| {r['config']} | {r['writers']} | {label} | not measured: {r['error']} | | | | |")
            continue
        raw = next((x for x in rows if (x["config"], x["writers"], x["lang"], x["client"]) ==
                    (r["config"], r["writers"], r["lang"], "raw") and x.get("points_per_s")), None)  # fmt: skip
        ratio = f"{r['points_per_s'] / raw['points_per_s']:.2f}" if raw else "-"
        spread = f" ({min(r['rounds']):,}-{max(r['rounds']):,})" if len(r.get("rounds", [])) > 1 else ""
        lines.append(f"| {r['config']} | {r['writers']} | {label} | {r['points_per_s']:,}{spread} | {ratio} | "
                     f"{r['stored']:,} / {r['points']:,} | {r['errors']} | {r['cpu_us_per_point']} |")  # fmt: skip
    return "\n".join(lines)


SERVERS = ("postgres", "postgres+pool", "sqlite")
# Room for all 64 writers in one worker's pool, so log_batch's two connections cannot deadlock it.
POOL_ENV = {"MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "5", "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW": "60"}


def write(out: Path, rows: list[dict[str, Any]], began: float, quick: bool, planned: int) -> None:
    """results_writers.json / .md and (full runs) the section of bench/results.md, as measured so far."""
    out.mkdir(parents=True, exist_ok=True)
    rows = sorted(rows, key=lambda r: SERVERS.index(_server(r)))  # stable within a server
    (out / "results_writers.json").write_text(json.dumps(rows, indent=1) + "\n")
    measured = len([r for r in rows if not r.get("kept")])
    status = "" if measured >= planned else f" (stopped early: {measured} of {planned} cells)"
    when = "; ".join(f"{name} rows {w}" for name in SERVERS if (w := _when(rows, name)))
    md = ("# Many writers\n\nN writer processes x M points each, 500-point log_batch requests, all started at "
          "once (`python bench/many_writers.py`). Ratios are to the same language's raw floor on the same server "
          "and writer count. PostgreSQL cells are the median of their interleaved rounds (the range in brackets "
          f"when there were several), stored / sent and errors their totals; SQLite cells are one round. {when}"
          f"{status}.\n\n"
          f"{table(rows)}\n")  # fmt: skip
    (out / "results_writers.md").write_text(md)
    if not quick:
        _into_results_md(out / "results.md", md, began)


def _when(rows: list[dict[str, Any]], server: str) -> str:
    stamps = sorted(r.get("measured", "") for r in rows if _server(r) == server)
    if not stamps:
        return ""
    if not stamps[0]:
        return "from an earlier run"
    return f"measured {stamps[0]} to {stamps[-1][-5:]} UTC" + (", kept from an earlier run" if any(
        r.get("kept") for r in rows if _server(r) == server) else "")  # fmt: skip


def _kept(out: Path, servers: set[str]) -> list[dict[str, Any]]:
    """The other servers' rows of the last full table, when only some servers are measured now."""
    path = out / "results_writers.json"
    if not path.exists():
        return []
    rows = json.loads(path.read_text())
    return [{**r, "kept": True} for r in rows if _server(r) not in servers]


def _server(row: dict[str, Any]) -> str:
    """The server a row was measured on: its config's first word (postgres, postgres+pool, sqlite)."""
    return str(row["config"].split(",")[0])


def _into_results_md(path: Path, md: str, began: float) -> None:
    """The table as a section of bench/results.md (which bench/run.py rewrites; make bench runs this after it)."""
    section = md.replace("# Many writers", "## Many writers", 1).rstrip("\n")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    report.write_section(path, "many-writers", f"{section}\n\nThe run took {time.monotonic() - began:.0f} s; "
                         f"load average at its end {load} on {os.cpu_count()} cores.")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated: {', '.join(SERVERS)}")
    parser.add_argument("--rounds", type=int, default=ROUNDS_PG, help="rounds per PostgreSQL cell")
    parser.add_argument("--out", default=str(ROOT / "bench"))
    args = parser.parse_args()
    servers = set(args.servers.split(","))
    if not servers <= set(SERVERS):
        parser.error(f"--servers: one or more of {', '.join(SERVERS)}")
    rows: list[dict[str, Any]] = []
    began = time.monotonic()
    out = Path(args.out)
    kept = [] if args.quick else _kept(out, servers)
    planned = len(CLIENTS) * (1 if args.quick else 2 * len(servers))

    def report(so_far: list[dict[str, Any]]) -> None:
        write(out, kept + so_far, began, args.quick, planned)

    if args.quick:
        with MlflowServer(workers=1) as server:  # a smoke check: no job runner to wait for
            server.wait_quiet()
            rows += run_config("sqlite, --workers 1", server, [4], 1000, rows)
    if not args.quick and "postgres" in servers:
        # PostgreSQL first: its cells take a minute each, the 64-writer SQLite ones ten.
        with (
            PostgresServer() as pg,
            MlflowServer(workers=4, backend_store_uri=pg.uri, jobs=True) as server,
        ):
            server.wait_quiet()
            rows += run_config("postgres, 4 workers", server, [16, 64], 2000, rows, report, rounds=args.rounds)
    if not args.quick and "postgres+pool" in servers:
        with (
            PostgresServer(max_connections=400) as pg,  # 4 workers x 65, and the registry's engines
            MlflowServer(workers=4, backend_store_uri=pg.uri, env=POOL_ENV, jobs=True) as server,
        ):
            server.wait_quiet()
            rows += run_config("postgres+pool, 4 workers, pool 5 + 60", server, [16, 64], 2000, rows, report,
                               rounds=args.rounds)  # fmt: skip
    if not args.quick and "sqlite" in servers:
        with MlflowServer(workers=1, jobs=True) as server:
            server.wait_quiet()
            rows += run_config("sqlite, --workers 1", server, [16, 64], 2000, rows, report)
    write(out, kept + rows, began, args.quick, planned)
    print(table(kept + rows))
    failed = [r for r in rows if "error" in r]
    for r in failed:
        print(f"could not measure: {r['config']} {r['writers']} {r['lang']} {r['client']}: {r['error']}")
    return 1 if args.quick and failed else 0  # the smoke check: every writer must still run


if __name__ == "__main__":
    sys.exit(main())
