"""Reading one journal file as docs/journal.md defines it, written by any of the three SDKs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mlflowrest._exceptions import JournalError
from mlflowrest._journal import _format as fmt


@dataclass
class JournalFile:
    path: str
    header: dict[str, Any]
    records: list[dict[str, Any]]
    valid_size: int  # bytes up to the end of the last full line
    torn: int = 0  # a last line cut short by a killed writer (ignored)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)  # call and artifact records by seq
    settled: set[int] = field(default_factory=set)  # seqs with a done or failed record
    binds: dict[str, str] = field(default_factory=dict)  # local id -> server id
    closed: bool = False

    @property
    def pending(self) -> list[dict[str, Any]]:
        return [self.calls[s] for s in sorted(self.calls) if s not in self.settled]

    @property
    def last_seq(self) -> int:
        return max(self.calls, default=0)


def read(path: str) -> JournalFile:
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    records: list[dict[str, Any]] = []
    valid, torn = 0, 0
    for number, raw in enumerate(lines, start=1):
        try:
            record = json.loads(raw)
            if not isinstance(record, dict) or "type" not in record:
                raise ValueError("not a record")
        except ValueError:
            if number == len(lines) and not tail:
                torn = 1  # the last line, unparseable: a torn write
                break
            raise JournalError(f"journal file {path}: line {number} is corrupt (not a JSON record)") from None
        records.append(record)
        valid += len(raw) + 1
    if tail:
        torn = 1  # no newline: the writer was killed mid-line
    if not records or records[0].get("type") != "open" or records[0].get("format") != fmt.FORMAT:
        raise JournalError(f"journal file {path}: line 1 is not an open record of {fmt.FORMAT}")
    if records[0].get("version") != fmt.VERSION:
        raise JournalError(f"journal file {path}: version {records[0].get('version')} is not {fmt.VERSION}")
    out = JournalFile(path, records[0], records, valid, torn)
    for r in records[1:]:
        kind = r["type"]
        if kind in ("call", "artifact"):
            out.calls[int(r["seq"])] = r
        elif kind in ("done", "failed"):
            out.settled.add(int(r["seq"]))
        elif kind == "bind":
            out.binds[r["local"]] = r["remote"]
        elif kind == "close":
            out.closed = True
    return out
