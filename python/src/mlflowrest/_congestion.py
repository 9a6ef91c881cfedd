"""How many write requests one client keeps in flight, shared by every thread logging through it.

Additive increase, multiplicative decrease (docs/design.md, "Overload"): every overload answer
the transport sees (family-rules.yaml, retry.overload: the server's pool timeout, a locked
database, 503/504) shrinks the limit, every stored batch grows it back: the rule and its numbers are
family-rules.yaml `congestion`, shared with Java and R. Processes do not share the window:
each backs off on the answers it gets; what the processes of one host share is a number of
write slots (_host_slots.py), taken after the window's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mlflowrest._generated.rules import CONGESTION
from mlflowrest._host_slots import HostSlots


class WriteLimit:
    """The window of family-rules.yaml `congestion`, for a client with this batch_concurrency."""

    def __init__(self, batch_concurrency: int, host: HostSlots | None = None, host_slots: int = 0) -> None:
        self.host, self.host_slots = host, host_slots
        per = max(1, batch_concurrency)
        cap = int(CONGESTION["window_cap"])  # under the server's pool, however many per call
        self.ceiling = min(cap, int(per * CONGESTION["max_window_per_batch_concurrency"]))
        self.floor = float(CONGESTION["min_window"])
        self.limit = float(min(self.ceiling, per * CONGESTION["initial_window_per_batch_concurrency"]))
        self.in_flight = 0
        self.peak = 0
        self.decreases = 0
        self._cond = threading.Condition()

    @contextmanager
    def slot(self, timeout: float) -> Iterator[None]:
        """Wait (at most `timeout` s, then go anyway: a limit must not turn into a hang) for a slot."""
        with self._cond:
            self._cond.wait_for(lambda: self.in_flight < int(self.limit), timeout=timeout)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if self.host is None:
                yield
            else:
                with self.host.slot(self.host_slots, timeout):
                    yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def overloaded(self) -> None:
        with self._cond:
            self.limit = max(self.floor, self.limit * CONGESTION["decrease_factor"])
            self.decreases += 1

    def stored(self) -> None:
        with self._cond:
            self.limit = min(float(self.ceiling), self.limit + CONGESTION["increase"] / self.limit)
            self._cond.notify_all()
