"""The process behind one `mlflowrest-local` deployment: load a model, serve it on 127.0.0.1.

    python -m mlflowrest.plugins.serve --model-uri models:/name/1 --port 5005 [--name NAME]

It speaks MLflow's scoring protocol (GET /ping, /health, /version; POST /invocations), using
mlflow's own scoring app, and exits with status 2 and a one-line reason when the model fails
to load, before it binds the port.
"""

from __future__ import annotations

import argparse
import sys

HOST = "127.0.0.1"
LOAD_FAILED = 2
READY_LINE = "mlflowrest-local: serving"


def serve(model_uri: str, port: int, name: str = "") -> None:
    """Load the model, then serve it until SIGTERM/SIGINT. Raises ModelLoadError when loading fails."""
    import mlflow.pyfunc
    import uvicorn
    from mlflow.pyfunc import scoring_server

    try:
        model = mlflow.pyfunc.load_model(model_uri)
    except Exception as exc:
        raise ModelLoadError(f"cannot load model {model_uri}: {type(exc).__name__}: {exc}") from exc
    app = scoring_server.init(model)
    print(f"{READY_LINE} {name or model_uri} at http://{HOST}:{port}", flush=True)
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


class ModelLoadError(RuntimeError):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlflowrest.plugins.serve")
    parser.add_argument("--model-uri", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", default="")
    args = parser.parse_args(argv)
    try:
        serve(args.model_uri, args.port, args.name)
    except ModelLoadError as exc:
        print(f"mlflowrest-local: {exc}", file=sys.stderr, flush=True)
        return LOAD_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
