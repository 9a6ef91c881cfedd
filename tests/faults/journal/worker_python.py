"""The Python worker of tests/faults/test_journal.py (protocol: docs in that test and issue 21).

loop --experiment NAME --points N --seed S: a background run logging N points of `loss`, then
ended; prints {"run_id"}, {"logged"} every 1000 points, {"done", "left_for_sync"}.
offline --experiment NAME: the fixed offline run (MLFLOW_TRACKING_URI=offline:DIR); prints {"run_id"}."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import mlflowrest


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def loop(experiment: str, points: int, seed: int) -> None:
    run = mlflowrest.start_run(experiment_name=experiment, background=True)
    say(run_id=run.run_id)
    for i in range(points):
        run.log_metric("loss", (seed * 1000003 + i) % 1000 / 1000.0, step=i, timestamp=1700000000000 + i)
        if (i + 1) % 1000 == 0:
            say(logged=i + 1)
    run.end()
    say(done=True, left_for_sync=run.left_for_sync)


def offline(experiment: str) -> None:
    with mlflowrest.start_run(experiment_name=experiment, run_name="offline-run") as run, \
            tempfile.TemporaryDirectory() as tmp:  # fmt: skip
        run.log_params({"alpha": 0.5, "layers": 3})
        run.set_tag("team", "ml")
        for step in range(100):
            run.log_metric("loss", 1 / (step + 1), step=step, timestamp=1700000000000 + step)
        run.log_metric("accuracy", 0.9, step=0, timestamp=1700000000000)
        summary = Path(tmp, "summary.json")
        summary.write_text('{"groups": 3}')
        run.log_artifact(summary, "reports")
        model = Path(tmp, "model")
        (model / "conf").mkdir(parents=True)
        (model / "weights.bin").write_bytes(bytes(range(256)) * 4)
        (model / "conf" / "params.txt").write_text("alpha=0.5\n")
        run.log_artifacts(model, "model")
    say(run_id=run.run_id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["loop", "offline"])
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--points", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.mode == "loop":
        loop(args.experiment, args.points, args.seed)
    else:
        offline(args.experiment)


if __name__ == "__main__":
    main()
