"""How many write requests one client keeps in flight, shared by every thread logging through it.

Additive increase, multiplicative decrease (docs/design.md, "Overload"): every overload answer
the transport sees (family-rules.yaml, retry.overload: the server's pool timeout, a locked
database, 503/504) halves the limit, not below one; every stored batch adds 1/limit, so the limit
climbs back by one per limit's worth of successes, up to its ceiling. Processes do not share it:
each backs off on the answers it gets, which is what spreads many writers out over time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriteLimit:
    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(self.ceiling)
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
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def overloaded(self) -> None:
        with self._cond:
            self.limit = max(1.0, self.limit / 2)
            self.decreases += 1

    def stored(self) -> None:
        with self._cond:
            self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)
            self._cond.notify_all()
