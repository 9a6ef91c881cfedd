"""A one-line progress bar on stderr for large transfers, and a streamed, seekable file body."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 1 << 20
PROGRESS_FROM_BYTES = 32 << 20


class Bar:
    """Shown by default only in a terminal and only for files of 32 MB or more."""

    def __init__(self, total: int, label: str, enabled: bool | None) -> None:
        self.total, self.label, self.sent = total, label, 0
        self.enabled = (sys.stderr.isatty() if enabled is None else enabled) and total >= PROGRESS_FROM_BYTES
        self.shown = -1

    def advance(self, n: int) -> None:
        self.sent += n
        if self.enabled and self.total:
            pct = self.sent * 100 // self.total
            if pct != self.shown:
                self.shown = pct
                sys.stderr.write(f"\r{self.label}: {pct:3d}% of {self.total / 1e6:.1f} MB")
                sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.shown >= 0:
            sys.stderr.write("\n")


class FileBody:
    """`length` bytes of an open file from `start`, read in blocks as requests sends them.

    Seekable (the transport rewinds it to retry) and sized (requests sends Content-Length,
    which signed S3 URLs require: they refuse chunked bodies). A multipart part is one of these."""

    def __init__(self, fh: IO[bytes], start: int, length: int, label: str, progress: bool | None) -> None:
        self._fh, self._start, self.len = fh, start, length
        self._left = length
        self._bar = Bar(length, label, progress)
        fh.seek(start)

    @classmethod
    def whole(cls, fh: IO[bytes], label: str, progress: bool | None) -> FileBody:
        return cls(fh, 0, os.fstat(fh.fileno()).st_size, label, progress)

    def read(self, n: int = CHUNK) -> bytes:
        want = min(n if n and n > 0 else CHUNK, self._left)
        block = self._fh.read(want) if want else b""
        self._left -= len(block)
        self._bar.advance(len(block))
        if not block:
            self._bar.done()
        return block

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(CHUNK):
            yield block

    def seek(self, offset: int, whence: int = 0) -> int:
        assert offset == 0 and whence == 0, "only rewinding is supported"
        self._bar.sent = 0
        self._left = self.len
        return self._fh.seek(self._start) - self._start

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.len - self._left

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)
