"""`python -m mlflowrest sync DIR [--tracking-uri URI] [--include-live]` (docs/journal.md)."""

from __future__ import annotations

import argparse
import sys

from mlflowrest._exceptions import MlflowError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlflowrest")
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="replay a journal or offline directory into a server")
    sync.add_argument("directory")
    sync.add_argument("--tracking-uri", help="the server (default: MLFLOW_TRACKING_URI)")
    sync.add_argument("--include-live", action="store_true", help="also files a live process is writing")
    args = parser.parse_args(argv)
    from mlflowrest._journal._sync import sync as run_sync

    try:
        report = run_sync(args.directory, tracking_uri=args.tracking_uri, include_live=args.include_live)
    except MlflowError as exc:
        print(f"mlflowrest sync: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
