"""Write slots shared by every process of this host that writes to one server, in any language.

A client's write window (_congestion.py) bounds its own requests; 64 writer processes still had 64
in flight, and 15 in one server worker deadlock log_batch on its pool for 30 s. So each write also
holds one of `host_write_slots` lock files (family-rules.yaml `host_slots`). They are POSIX record
locks (fcntl.lockf, as Java's FileChannel and R's filelock take them), so the three SDKs see each
other's, and the kernel drops a dead process's locks: a killed writer keeps no slot.

A writer stands in the host's queue, the kernel's queue for the record lock on queue.lock, and at
its head tries the slots until one is free: one writer per host polls, the others sleep, and they
go in turn. lockf cannot be interrupted, so a helper thread waits in the kernel's queue and the
writer waits for the hand-over at most its timeout.

Record locks belong to the process, not to a file descriptor or thread: locking a slot this
process already holds would succeed again. So one registry per directory is shared by every
client of the process, remembers which slots it holds, and lets one of its threads at a time into
the queue; after a fork the child holds none.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from mlflowrest._generated.rules import HOST_SLOTS

try:
    import fcntl
except ImportError:  # Windows: no record locks; each process keeps only its own window
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("mlflowrest")
_DEFAULT_PORTS = {"http": 80, "https": 443}
QUEUE = -1  # the host's queue: the lock file HOST_SLOTS["queue_file"], beside the slots


def server_key(tracking_uri: str) -> str:
    """The server's name in the directory: a hash of scheme://host:port, so no credential,
    path or query string reaches the file system."""
    parts = urlsplit(tracking_uri)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6, written as in a URL
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    digest = hashlib.sha256(f"{scheme}://{host}:{port}".encode()).hexdigest()
    return digest[: int(HOST_SLOTS["key_hex_chars"])]


def slots_directory(tracking_uri: str, tmp: str | None = None) -> Path:
    root = tmp or os.environ.get("TMPDIR") or "/tmp"
    try:
        user = pwd.getpwuid(os.geteuid()).pw_name  # the name Java's user.name and R's Sys.info() give
    except KeyError:
        user = str(os.geteuid())
    user = re.sub(r"[^A-Za-z0-9._-]", "_", user)
    return Path(root) / str(HOST_SLOTS["directory"]).format(user=user, key=server_key(tracking_uri))


class _Wait:
    """The process's place in the kernel's queue for queue.lock, which a helper thread blocks in."""

    __slots__ = ("abandoned", "done", "granted")

    def __init__(self) -> None:
        self.granted = False  # the helper got the lock and handed it over
        self.abandoned = False  # the writer left (its timeout) before the grant
        self.done = threading.Event()


class HostSlots:
    """The slot files of one directory; `slot(count, timeout)` holds one of the first `count`
    while a write is in flight."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: set[int] = set()
        self._queue_wait: _Wait | None = None  # a helper thread of ours blocking on queue.lock
        self._files: dict[int, int] = {}  # slot (or QUEUE) -> descriptor, open for the process's life
        self._lock = threading.Lock()  # guards the state above
        self._head = threading.Lock()  # held by the one thread of this process in the host's queue
        self.disabled = fcntl is None
        self.waited_out = 0  # writes that went without a slot after the timeout

    def _fd(self, index: int) -> int | None:
        fd = self._files.get(index)
        if fd is None and not self.disabled:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                name = HOST_SLOTS["queue_file"] if index == QUEUE else f"{index}.lock"
                fd = os.open(self.directory / name, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:  # read-only or foreign directory: writes go without slots
                log.debug("host write slots off for %s: %s", self.directory, exc)
                self.disabled = True
                return None
            self._files[index] = fd  # closing any descriptor of the file would drop our lock on it
        return fd

    def _try_one(self, count: int) -> int | None:
        """One round without blocking, from a random slot (spreads the processes); under _lock."""
        start = random.randrange(count)
        for step in range(count):
            index = (start + step) % count
            if index in self._held:
                continue  # locking it again would be granted to this process at once
            fd = self._fd(index)
            if fd is None:
                return None
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # another process holds it
            self._held.add(index)
            return index
        return None

    def _block(self, wait: _Wait) -> None:
        """In a helper thread: wait in the kernel's queue, then hand the lock over or give it back."""
        fd = self._files[QUEUE]
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX)
            got = True
        except OSError as exc:  # EDEADLK or another refusal: the writer tries again after a pause
            log.debug("host write queue of %s: %s", self.directory, exc)
            got = False
        with self._lock:
            self._queue_wait = None
            if got and wait.abandoned:
                fcntl.lockf(fd, fcntl.LOCK_UN)
            else:
                wait.granted = got
            wait.done.set()  # under _lock: the writer reads granted and done together

    def _take(self, count: int, deadline: float) -> int | None:
        """A slot, or None at the deadline. The writer stands in the host's queue (the kernel's
        queue for queue.lock) and, at its head, tries the slots until one is free."""
        # Record locks are the process's: one thread of it at a time may stand in the queue.
        if not self._head.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return None
        try:
            if not self._enter_queue(deadline):
                return None
            try:
                return self._poll(count, deadline)
            finally:
                with self._lock:
                    fcntl.lockf(self._files[QUEUE], fcntl.LOCK_UN)
        finally:
            self._head.release()

    def _enter_queue(self, deadline: float) -> bool:
        """Holds queue.lock: at once when nobody waits, else after the kernel's queue; False at
        the deadline (or with the slots off)."""
        while not self.disabled:
            with self._lock:
                wait = self._queue_wait
                if wait is not None:
                    # A writer of this process left before its grant: take its place over (a second
                    # helper on the same file would be granted the lock twice, as the process holds it).
                    wait.abandoned = False
                else:
                    fd = self._fd(QUEUE)
                    if fd is None:
                        return False
                    try:
                        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        return True
                    except OSError:
                        pass
                    if deadline <= time.monotonic():
                        return False
                    wait = self._queue_wait = _Wait()
                    threading.Thread(target=self._block, args=(wait,), name="mlflowrest-host-slot", daemon=True).start()
            wait.done.wait(max(0.0, deadline - time.monotonic()))
            with self._lock:
                if wait.granted:
                    return True
                if not wait.done.is_set():  # the deadline: the helper gives the lock back when granted
                    wait.abandoned = True
                    return False
            # refused (EDEADLK, should another process's thread hold a slot while one waits here):
            # try again after a pause, within the deadline
            pause = min(HOST_SLOTS["max_poll_ms"] / 1000, deadline - time.monotonic())
            if pause > 0:
                time.sleep(pause)
        return False

    def _poll(self, count: int, deadline: float) -> int | None:
        """At the head of the queue: rounds over the slots, first_poll_ms apart doubling up to
        queue_poll_ms, until one is free or the deadline."""
        pause = HOST_SLOTS["first_poll_ms"] / 1000
        while True:
            with self._lock:
                index = self._try_one(count)
            if index is not None or self.disabled:
                return index
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(pause, left))
            pause = min(pause * 2, HOST_SLOTS["queue_poll_ms"] / 1000)

    def _release(self, index: int) -> None:
        with self._lock:
            fcntl.lockf(self._files[index], fcntl.LOCK_UN)
            self._held.discard(index)

    @contextmanager
    def slot(self, count: int, timeout: float) -> Iterator[int | None]:
        """Hold one of slots 0..count-1 for the block; after `timeout` s without one, or with
        count 0, go without (None)."""
        index = None
        if count > 0 and not self.disabled:
            index = self._take(count, time.monotonic() + timeout)
            if index is None and not self.disabled:
                self.waited_out += 1
                log.debug("no host write slot in %.1f s: writing without one", timeout)
        try:
            yield index
        finally:
            if index is not None:
                self._release(index)

    def _forget(self) -> None:
        """In a forked child: the parent's locks and waits are not the child's (it reuses the
        descriptors; no helper thread survives a fork)."""
        self._lock = threading.Lock()
        self._head = threading.Lock()
        self._held.clear()
        self._queue_wait = None


_registry: dict[Path, HostSlots] = {}
_registry_lock = threading.Lock()


def host_slots(tracking_uri: str, tmp: str | None = None) -> HostSlots:
    """This process's slots for a server, shared by all its clients."""
    directory = slots_directory(tracking_uri, tmp)
    with _registry_lock:
        return _registry.setdefault(directory, HostSlots(directory))


def _after_fork() -> None:
    global _registry_lock
    _registry_lock = threading.Lock()
    for slots in _registry.values():
        slots._forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
