"""Log a small training run with mlflowrest: params, a metric per step, a tag and an artifact."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import mlflowrest


def main() -> None:
    client = mlflowrest.MlflowClient()
    with mlflowrest.start_run(experiment_name="mlflowrest-demo", run_name="python-quickstart", client=client,
                              background=True) as run:  # fmt: skip
        run.log_params({"alpha": 0.5, "epochs": 20})
        for step in range(20):
            run.log_metric("loss", math.exp(-step / 5), step=step)
        run.set_tag("origin", "python")
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.txt"
            report.write_text(f"final loss: {math.exp(-19 / 5):.4f}\n")
            run.log_artifact(report)
    logged = client.runs.get(run_id=run.run_id).run
    assert logged is not None and logged.info is not None and logged.data is not None
    print(f"python: run {run.run_id} {logged.info.status}: params {len(logged.data.params or [])}, "
          f"metrics {[m.key for m in logged.data.metrics or []]}, artifacts "
          f"{[f.path for f in client.artifacts.list_files(run.run_id)]}")  # fmt: skip
    print(f"python: {run.url}")


if __name__ == "__main__":
    main()
