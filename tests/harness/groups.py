"""Run pytest on groups of test files at once, one process per group, and fail if any group fails.

    python -m tests.harness.groups --timeout 1800 --group "tests/a.py tests/b.py" --group "tests/c"
    python -m tests.harness.groups --timeout 2400 --cmd "make run-a" --cmd "make run-b run-c"

Each module of the reliability suite starts its own servers on ports the kernel hands out, so
groups share nothing but the machine. Two groups on two cores cut the suite's wall time by about
a third; more would only make the timing-sensitive fault tests wait for CPU. Each group's output
goes to its own log (printed whole when the group ends, so the per-language tables stay
readable). A --cmd group is any command instead (make test runs whole suites side by side so).
If the whole run outlasts --timeout, each group still running is interrupted (pytest
tears its servers down) and killed a minute later: nothing here waits without a bound.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", action="append", default=[], help="test paths, space-separated")
    parser.add_argument("--cmd", action="append", default=[], help="a whole command, shell-quoted")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds for all groups together")
    parser.add_argument("--logs", default=str(ROOT / ".work" / "groups"))
    args, pytest_args = parser.parse_known_args(argv)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    running: dict[int, tuple[subprocess.Popen[bytes], Path, list[str]]] = {}
    commands = [[sys.executable, "-m", "pytest", *pytest_args, *shlex.split(g)] for g in args.group]
    commands += [shlex.split(c) for c in args.cmd]
    if not commands:
        parser.error("give at least one --group or --cmd")
    for number, (command, group) in enumerate(zip(commands, args.group + args.cmd, strict=True), 1):
        paths = shlex.split(group)
        log = logs / f"group-{number}.log"
        with log.open("wb") as out:  # the child keeps its own descriptor
            proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        running[number] = (proc, log, paths)

    failed: list[str] = []
    while running:
        for number, (proc, log, paths) in list(running.items()):
            code = proc.poll()
            if code is None:
                continue
            del running[number]
            took = time.monotonic() - started
            print(f"\n==== group {number} ({' '.join(paths)}): exit {code} after {took:.0f} s ====", flush=True)
            sys.stdout.write(log.read_text(errors="replace"))
            if code != 0:
                failed.append(f"group {number} ({' '.join(paths)}) exited {code}")
        if running and time.monotonic() - started > args.timeout:
            for number, (proc, log, paths) in running.items():
                os.killpg(proc.pid, signal.SIGINT)  # pytest (under make too) tears its fixtures (servers) down
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)  # the harness's watchdogs stop its servers
                    proc.wait(timeout=30)
                sys.stdout.write(log.read_text(errors="replace"))
                failed.append(f"group {number} ({' '.join(paths)}) killed after {args.timeout:.0f} s")
            running.clear()
        time.sleep(0.5)

    print(f"\n{len(commands)} groups in {time.monotonic() - started:.0f} s", flush=True)
    for line in failed:
        print(f"FAILED: {line}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
