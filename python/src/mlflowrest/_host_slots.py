"""Write slots shared by every process of this host that writes to one server, in any language.

A client's write window (_congestion.py) bounds its own requests; 64 writer processes still had 64
in flight, and 15 in one server worker deadlock log_batch on its pool for 30 s. So each write also
holds one of `host_write_slots` lock files (family-rules.yaml `host_slots`). They are POSIX record
locks (fcntl.lockf, as Java's FileChannel.tryLock and R's filelock take them), so the three SDKs
see each other's, and the kernel drops a dead process's locks: a killed writer keeps no slot.

Record locks belong to the process, not to a file descriptor or thread: locking a slot this
process already holds would succeed again. So one registry per directory is shared by every client
of the process and remembers which slots it holds; after a fork the child holds none.
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


class HostSlots:
    """The slot files of one directory; `slot(count, timeout)` holds one of the first `count`
    while a write is in flight."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: set[int] = set()
        self._files: dict[int, int] = {}  # slot -> descriptor, open for the process's life
        self._lock = threading.Lock()
        self.disabled = fcntl is None
        self.waited_out = 0  # writes that went without a slot after the timeout

    def _fd(self, index: int) -> int | None:
        fd = self._files.get(index)
        if fd is None and not self.disabled:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.directory / f"{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:  # read-only or foreign directory: writes go without slots
                log.debug("host write slots off for %s: %s", self.directory, exc)
                self.disabled = True
                return None
            self._files[index] = fd  # closing any descriptor of the file would drop our lock on it
        return fd

    def _try_one(self, count: int) -> int | None:
        start = random.randrange(count)  # spread the processes over the slots
        with self._lock:
            for step in range(count):
                index = (start + step) % count
                if index in self._held:
                    continue
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
            deadline = time.monotonic() + timeout
            pause = HOST_SLOTS["first_poll_ms"] / 1000
            while (index := self._try_one(count)) is None and not self.disabled:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.waited_out += 1
                    log.debug("no host write slot in %.1f s: writing without one", timeout)
                    break
                time.sleep(min(pause, left))
                pause = min(pause * 2, HOST_SLOTS["max_poll_ms"] / 1000)
        try:
            yield index
        finally:
            if index is not None:
                self._release(index)

    def _forget(self) -> None:
        """In a forked child: the parent's locks are not the child's (it reuses the descriptors)."""
        self._lock = threading.Lock()
        self._held.clear()


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
