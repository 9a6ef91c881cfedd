"""Cleans up after a test process that died without cleaning up (SIGKILL, a CI timeout).

    python -m tests.harness.watchdog <pid> <cleanup command...>
    python -m tests.harness.watchdog <pid> killpg <process group id>

waits while process <pid> lives, then runs the cleanup command (or kills the process group). The harness starts one per
server; a normal stop kills the watchdog first, so the cleanup runs only when it is needed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main() -> None:
    pid, command = int(sys.argv[1]), sys.argv[2:]
    while alive(pid):
        time.sleep(0.5)
    if command[0] == "killpg":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(command[1]), signal.SIGKILL)
    else:
        subprocess.run(command, check=False, capture_output=True)


if __name__ == "__main__":
    main()
