"""An independent reader of journal directories (docs/journal.md), for the tests.

Written from the format, not from any SDK, so a test can say what a journal acknowledged
without trusting the code under test. Every full line is checked against
openapi/journal.schema.json; a torn last line is counted, never parsed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[3]


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "openapi" / "journal.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


@dataclass
class JournalFile:
    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    torn_tail: bool = False

    @property
    def header(self) -> dict[str, Any]:
        return self.records[0]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["type"] == kind]

    def settled(self) -> set[int]:
        return {r["seq"] for r in self.records if r["type"] in ("done", "failed")}


def read_file(path: Path) -> JournalFile:
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    out = JournalFile(path, torn_tail=tail != b"")
    for number, raw in enumerate(lines, start=1):
        try:
            record = json.loads(raw)
        except ValueError:
            # A torn write is only ever the last line; a bad line with lines after it is corruption.
            if number == len(lines) and not tail:
                out.torn_tail = True
                continue
            raise AssertionError(f"{path}:{number}: not JSON: {raw[:80]!r}") from None
        errors = sorted(_validator().iter_errors(record), key=str)
        assert not errors, f"{path}:{number}: {errors[0].message}"
        out.records.append(record)
    if out.records:
        first = out.records[0]
        assert first["type"] == "open", f"{path}: the first record is {first['type']}, not open"
        seqs = [r["seq"] for r in out.records if r["type"] in ("call", "artifact")]
        assert seqs == list(range(1, len(seqs) + 1)), f"{path}: seq not 1, 2, 3, ...: {seqs[:10]}"
    return out


def read_dir(folder: Path) -> list[JournalFile]:
    return [read_file(p) for p in sorted(folder.glob("journal-*.jsonl"))]


def journaled_points(files: list[JournalFile], key: str) -> set[tuple[int, int, float]]:
    """Every (step, timestamp, value) of metric `key` that a call record of the journal holds."""
    points: set[tuple[int, int, float]] = set()
    for f in files:
        for call in f.of_type("call"):
            body = call["body"]
            metrics = body.get("metrics", []) if call["operation"] == "logBatch" else (
                [body] if call["operation"] == "logMetric" else [])  # fmt: skip
            for m in metrics:
                if m.get("key") == key:
                    points.add((int(m.get("step", 0)), int(m["timestamp"]), float(m["value"])))
    return points
