"""The README's quickstart runs as written, twice in a row (the second run meets what the first made)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mlflowrest import MlflowClient

README = Path(__file__).resolve().parents[2] / "README.md"


def test_quickstart_runs_as_written_twice(server_url: str, tmp_path: Path) -> None:
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert code, "python/README.md has no python block"
    env = {**os.environ, "MLFLOW_TRACKING_URI": server_url}
    for attempt in (1, 2):
        done = subprocess.run([sys.executable, "-c", code[1]], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300, check=False)  # fmt: skip
        assert done.returncode == 0, f"run {attempt}: {done.stderr[-2000:]}"
        assert len(done.stdout.split()) <= 10  # max_results=10
    client = MlflowClient(server_url)
    exp_id = client.experiments.get_by_name(experiment_name="demo").experiment.experiment_id  # type: ignore[union-attr]
    runs = client.runs.search(experiment_ids=[exp_id], filter="attributes.status = 'FINISHED'").to_list()
    assert len(runs) >= 2
    for run in runs[:2]:
        files = client.artifacts.list_files(run.info.run_id)  # type: ignore[union-attr]
        assert [f.path for f in files] == ["weights.txt"]  # a folder's contents land at the run's root
