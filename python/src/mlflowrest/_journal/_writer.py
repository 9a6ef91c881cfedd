"""Appending records to one journal file: one write() per line, fsync as configured.

A failed write (disk full) raises JournalError naming the file and cuts the file back to where
it was, so a half-written line never sits between records. Opening an existing file (sync
appending its answers) first cuts off a torn last line left by a killed writer."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from typing import Any

from mlflowrest._exceptions import JournalError


class JournalWriter:
    def __init__(self, path: str, *, fsync: str = "interval", fsync_interval: float = 1.0, seq: int = 0) -> None:
        self.path = path
        self._fsync = fsync
        self._interval = fsync_interval
        self._lock = threading.Lock()
        self.seq = seq  # the last seq handed out
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._size = os.fstat(self._fd).st_size
        except OSError as exc:
            raise JournalError(f"cannot open journal file {path}: {exc.strerror}") from None
        self._synced_at = time.monotonic()
        self._dirty = False

    @classmethod
    def reopen(cls, path: str, valid_size: int, *, seq: int, fsync: str = "interval") -> JournalWriter:
        """An existing file, its torn tail (bytes past `valid_size`) cut off first."""
        if os.path.getsize(path) > valid_size:
            os.truncate(path, valid_size)
        return cls(path, fsync=fsync, seq=seq)

    def append(self, record: dict[str, Any], *, numbered: bool = False) -> int:
        """Write one record; numbered records (call, artifact) get the next seq, returned."""
        with self._lock:
            if numbered:
                record = {"type": record["type"], "seq": self.seq + 1, **record}
            line = (json.dumps(record, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n").encode()
            try:
                written = os.write(self._fd, line)
                if written != len(line):
                    raise OSError(28, "short write (No space left on device?)")
            except OSError as exc:
                self._cut_back()
                raise JournalError(
                    f"cannot write to journal file {self.path}: {exc.strerror or exc}; the call was not sent"
                ) from None
            self._size += len(line)
            if numbered:
                self.seq += 1
            self._dirty = True
            if self._fsync == "always" or (
                self._fsync == "interval" and time.monotonic() - self._synced_at >= self._interval
            ):
                self._sync()
            return self.seq if numbered else 0

    def _cut_back(self) -> None:
        # Not a regular file (a test's /dev/full), or the disk refuses even that: nothing to undo.
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, self._size)

    def _sync(self) -> None:
        with contextlib.suppress(OSError):  # a device without fsync: the page cache still survives
            os.fsync(self._fd)
        self._synced_at = time.monotonic()
        self._dirty = False

    def close(self) -> None:
        with self._lock:
            if self._fd < 0:
                return
            if self._dirty and self._fsync != "never":
                self._sync()
            os.close(self._fd)
            self._fd = -1
