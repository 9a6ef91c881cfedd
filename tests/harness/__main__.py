"""Command line for the harness.

  python -m tests.harness serve [--workers N]          serve until Ctrl-C, printing the URL
  python -m tests.harness run [--workers N] -- CMD...  start a server, run CMD with
                                                       MLFLOW_TRACKING_URI set, stop the server,
                                                       exit with CMD's status
  python -m tests.harness demo --workdir DIR -- CMD... like run, then keep serving the UI until
                                                       Ctrl-C when run from a terminal
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from tests.harness.server import MlflowServer


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness")
    parser.add_argument("mode", choices=["serve", "run", "demo"])
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (0: the server's default)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--workdir", default=None, help="keep the store here instead of a temp folder")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]

    server = MlflowServer(workers=args.workers or None, port=args.port, workdir=args.workdir, quiet=False)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.stop()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.start()
        if args.mode == "serve":
            print(f"UI and API: {server.url}   (Ctrl-C stops it)", flush=True)
            while True:
                time.sleep(3600)
        if not command:
            parser.error("run needs a command after --")
        env = {**os.environ, "MLFLOW_TRACKING_URI": server.url}
        status = subprocess.call(command, env=env)
        if args.mode == "demo":
            print(f"\nMLflow UI: {server.url}  (store: {server.workdir})", flush=True)
            if status == 0 and sys.stdin.isatty():
                print("serving until Ctrl-C", flush=True)
                while True:
                    time.sleep(3600)
        return status
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
