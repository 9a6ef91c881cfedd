"""Command line for the harness.

  python -m tests.harness serve [--workers N]          serve until Ctrl-C, printing the URL (and, with
                                                       --artifacts, a file of the client variables)
  python -m tests.harness run [--workers N] -- CMD...  start a server, run CMD with
                                                       MLFLOW_TRACKING_URI set, stop the server,
                                                       exit with CMD's status
  python -m tests.harness demo --workdir DIR -- CMD... like run, then keep serving the UI until
                                                       Ctrl-C when run from a terminal

`--artifacts {proxied,s3,azure,path,databricks}` (serve, run) puts the server's artifacts in that
backend (tests/harness/backends.py starts s3proxy, Azurite or the Databricks stand-in) and gives
CMD everything a client needs to reach them:

  proxied     MLFLOW_TRACKING_URI
  s3          MLFLOW_TRACKING_URI, MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
              AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION (us-east-1),
              AWS_REQUEST_CHECKSUM_CALCULATION=when_required,
              AWS_RESPONSE_CHECKSUM_VALIDATION=when_required (root s3://mlflow/artifacts)
  azure       MLFLOW_TRACKING_URI, AZURE_STORAGE_CONNECTION_STRING (its BlobEndpoint is
              Azurite's), AZURE_STORAGE_ACCESS_KEY
              (root wasbs://mlflow@mlflowrest.blob.core.windows.net/artifacts)
  path        MLFLOW_TRACKING_URI (root: a plain folder on this machine)
  databricks  MLFLOW_TRACKING_URI=databricks, DATABRICKS_HOST (the stand-in's http URL),
              DATABRICKS_TOKEN, MLFLOW_REGISTRY_URI=databricks; no store credentials:
              bytes move only through the signed URLs the stand-in hands out (presigned
              S3 URLs, or Azure SAS URLs with --databricks-store azure)
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from tests.harness.backends import BACKENDS, ArtifactBackend
from tests.harness.server import MlflowServer


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness")
    parser.add_argument("mode", choices=["serve", "run", "demo"])
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (0: the server's default)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--workdir", default=None, help="keep the store here instead of a temp folder")
    parser.add_argument("--artifacts", choices=BACKENDS, default="proxied", help="where the server keeps artifacts")
    parser.add_argument("--databricks-store", choices=["s3", "azure"], default="s3",
                        help="the Databricks stand-in's store: s3 (AWS_PRESIGNED_URL) or azure (AZURE_SAS_URI)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]

    backend: ArtifactBackend | None = None
    if args.artifacts != "proxied":
        if args.workdir or args.port:
            parser.error("--workdir and --port go with the proxied artifact backend only")
        backend = ArtifactBackend(args.artifacts, workers=args.workers or None, quiet=False,
                                  databricks_store=args.databricks_store)
    server = MlflowServer(workers=args.workers or None, port=args.port, workdir=args.workdir, quiet=False)

    def stop(signum: int, frame: FrameType | None) -> None:
        (backend or server).stop()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if backend is not None:
            backend.start()
            client_env = backend.env
        else:
            server.start()
            client_env = {"MLFLOW_TRACKING_URI": server.url}
        if args.mode == "serve":
            if backend is not None:
                # The store's keys go to a private file, not to the terminal's scrollback.
                env_file = Path(tempfile.mkdtemp(prefix="mlflowrest-client-env-")) / "client.env"
                env_file.touch(mode=0o600)
                env_file.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in client_env.items()))
                print(f"client variables ({', '.join(client_env)}): source {env_file}", flush=True)
            print(f"UI and API: {server.url if backend is None else backend.url}   (Ctrl-C stops it)", flush=True)
            while True:
                time.sleep(3600)
        if not command:
            parser.error("run needs a command after --")
        env = {**os.environ, **client_env}
        status = subprocess.call(command, env=env)
        if args.mode == "demo":
            print(f"\nMLflow UI: {server.url}  (store: {server.workdir})", flush=True)
            if status == 0 and sys.stdin.isatty():
                print("serving until Ctrl-C", flush=True)
                while True:
                    time.sleep(3600)
        return status
    finally:
        (backend or server).stop()


if __name__ == "__main__":
    sys.exit(main())
