"""Start-up costs of the Python SDK beside the official client, measured side by side.

- import time: median of fresh interpreters importing each thing;
- process start to first durable metric: a whole script (import, client, run, log_metric),
  timed from spawn to exit, since log_metric returns once the server stored the point;
- installed footprint: the size on disk of a distribution and everything it requires, read
  from the installed metadata (mlflowrest, mlflow, mlflow-skinny).

mlflowrest is measured in a venv holding only it and its dependencies (.work/venv-light), as
users install it; the official client in the project venv, which has the pinned mlflow.
"""

from __future__ import annotations

import contextlib
import json
import re
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

IMPORTS = {
    "requests, pydantic": "import requests, pydantic",
    "mlflowrest": "import mlflowrest",
    "mlflowrest + client": "import mlflowrest; mlflowrest.MlflowClient('http://127.0.0.1:1')",
    "mlflow": "import mlflow",
    "from mlflow import MlflowClient": "from mlflow import MlflowClient",
}

FIRST_METRIC = {
    "mlflowrest": (
        "import mlflowrest, sys\n"
        "c = mlflowrest.MlflowClient(sys.argv[1])\n"
        "run = c.runs.create(experiment_id='0').run\n"
        "c.runs.log_metric(run_id=run.info.run_id, key='m', value=1.0, timestamp=0, step=0)\n"
    ),
    "official MlflowClient": (
        "import sys\nfrom mlflow import MlflowClient\n"
        "c = MlflowClient(sys.argv[1])\n"
        "run = c.create_run('0')\n"
        "c.log_metric(run.info.run_id, 'm', 1.0)\n"
    ),
}


ROOT = Path(__file__).resolve().parents[1]
LIGHT = ROOT / ".work" / "venv-light" / "bin" / "python"


def light_python() -> str:
    """A venv with mlflowrest and its dependencies only (built once, then reused)."""
    if not LIGHT.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LIGHT.parents[1])], check=True)
    subprocess.run([str(LIGHT), "-m", "pip", "install", "-q", str(ROOT / "python")], check=True)
    return str(LIGHT)


def _python_for(label: str, light: str) -> str:
    return light if label.startswith(("mlflowrest", "requests")) else sys.executable


def _time_import(python: str, code: str, repeat: int) -> float:
    probe = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([python, "-c", probe], text=True)) for _ in range(repeat)]
    return statistics.median(runs)


def _time_script(python: str, code: str, uri: str, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([python, "-c", code, uri], check=True, capture_output=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _requires(name: str) -> set[str]:
    """The distribution and its transitive requirements that are installed (no extras)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if current in seen:
            continue
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            continue
        seen.add(current)
        for req in dist.requires or []:
            if "extra ==" in req:
                continue
            todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
    return seen


def footprint_mb(name: str) -> tuple[float, int]:
    total = 0
    dists = _requires(name)
    for d in dists:
        for f in metadata.distribution(d).files or []:
            with contextlib.suppress(OSError):
                total += Path(f.locate()).stat().st_size
    return total / 1e6, len(dists)


def measure(uri: str, repeat: int = 5) -> dict[str, Any]:
    light = light_python()
    imports = {label: _time_import(_python_for(label, light), code, repeat) for label, code in IMPORTS.items()}
    first = {label: _time_script(_python_for(label, light), code, uri, repeat) for label, code in FIRST_METRIC.items()}
    ours = json.loads(subprocess.check_output([light, __file__, "--footprint", "mlflowrest"], text=True))
    foot = {"mlflowrest": tuple(ours), **{name: footprint_mb(name) for name in ("mlflow-skinny", "mlflow")}}
    return {
        "import_s": imports,
        "import_overhead_s": imports["mlflowrest"] - imports["requests, pydantic"],
        "import_with_client_overhead_s": imports["mlflowrest + client"] - imports["requests, pydantic"],
        "first_durable_metric_s": first,
        "first_metric_speedup": first["official MlflowClient"] / first["mlflowrest"],
        "footprint_mb": {k: round(v[0], 1) for k, v in foot.items()},
        "footprint_distributions": {k: v[1] for k, v in foot.items()},
    }


if __name__ == "__main__":
    if sys.argv[1] == "--footprint":
        print(json.dumps(footprint_mb(sys.argv[2])))
    else:
        print(json.dumps(measure(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5), indent=2))
