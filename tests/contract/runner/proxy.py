"""The contract suite's recording proxy: every exchange checked against openapi/mlflow.yaml."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.contract.runner.spec_check import SpecChecker
from tests.harness.proxy import Exchange, Proxy


@dataclass
class Checked:
    method: str
    path: str
    status: int
    operation_id: str | None
    problems: list[str]


@dataclass
class Recorder:
    label: str
    checker: SpecChecker
    exchanges: list[Checked] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def invalid(self) -> list[Checked]:
        return [e for e in self.exchanges if e.problems]

    def __call__(self, ex: Exchange) -> None:
        op_id, problems = self.checker.check(
            ex.method, ex.path, parse_qs(ex.query, keep_blank_values=True),
            ex.request_headers.get("Content-Type", ""), ex.request_body, ex.status,
            ex.response_headers.get("Content-Type", ex.response_headers.get("content-type", "")), ex.response_body,
        )  # fmt: skip
        with self.lock:
            self.exchanges.append(Checked(ex.method, ex.path, ex.status, op_id, problems))


class RecordingProxy(Proxy):
    def __init__(self, upstream: str, checker: SpecChecker, label: str) -> None:
        self.recorder = Recorder(label, checker)
        super().__init__(upstream, record=self.recorder)
