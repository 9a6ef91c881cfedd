"""Host write slots (_host_slots.py, family-rules.yaml `host_slots`): lock files every process of a
host shares per server, taken with each write's window slot."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from mlflowrest import MlflowClient
from mlflowrest._config import DEFAULTS
from mlflowrest._congestion import WriteLimit
from mlflowrest._generated.rules import CONGESTION, HOST_SLOTS
from mlflowrest._host_slots import HostSlots, host_slots, server_key, slots_directory

HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys, time
    fds = [os.open(os.path.join(sys.argv[1], f"{i}.lock"), os.O_RDWR | os.O_CREAT) for i in range(int(sys.argv[2]))]
    for fd in fds:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("held", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.parametrize("example", HOST_SLOTS["key_examples"], ids=lambda e: e["uri"])
def test_the_key_is_the_one_every_sdk_derives(example: dict[str, str]) -> None:
    assert server_key(example["uri"]) == example["key"]


def test_no_credential_path_or_query_reaches_the_directory(tmp_path: Path) -> None:
    directory = slots_directory("https://alice:s3cret@Example.com/mlflow/?token=abc", str(tmp_path))
    assert directory.parent.parent == tmp_path
    assert directory.parent.name.startswith("mlflowrest-")
    assert directory.name == "writes-" + server_key("https://example.com:443")
    assert not any(word in str(directory) for word in ("s3cret", "alice", "mlflow/", "abc"))


def test_ipv6_hosts_keep_their_brackets() -> None:
    assert server_key("http://[::1]:5000/") == server_key("http://[::1]:5000")
    assert server_key("http://[::1]:5000") != server_key("http://127.0.0.1:5000")


def test_a_third_write_waits_for_a_slot_then_goes_without_one(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path / "w")
    with slots.slot(2, 1.0) as first, slots.slot(2, 1.0) as second:
        assert {first, second} == {0, 1}
        began = time.monotonic()
        with slots.slot(2, 0.2) as third:
            assert third is None
        assert time.monotonic() - began >= 0.2
        assert slots.waited_out == 1
    with slots.slot(2, 0.2) as again:
        assert again in (0, 1)  # released on leaving the block
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["0.lock", "1.lock", HOST_SLOTS["queue_file"]]


def test_zero_slots_take_nothing_and_create_nothing(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path / "w")
    with slots.slot(0, 1.0) as index:
        assert index is None
    assert not (tmp_path / "w").exists()


def test_an_unwritable_directory_turns_the_slots_off(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    slots = HostSlots(tmp_path / "file" / "w")
    began = time.monotonic()
    with slots.slot(4, 5.0) as index:
        assert index is None
    assert slots.disabled and time.monotonic() - began < 1


def test_another_process_holding_every_slot_makes_writes_wait(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    directory.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(directory), "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        slots = HostSlots(directory)
        with slots.slot(2, 0.3) as index:
            assert index is None  # the other process's record locks are seen
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with slots.slot(2, 5.0) as index:
        assert index in (0, 1)  # the kernel dropped the dead process's locks


def test_a_forked_child_does_not_inherit_the_parents_slot(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path / "w")
    with slots.slot(1, 1.0) as index:
        assert index == 0
        pid = os.fork()
        if pid == 0:  # the child: the parent holds the only slot
            with slots.slot(1, 0.2) as child_index:
                os._exit(0 if child_index is None else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


def test_the_window_holds_a_host_slot_while_a_write_is_in_flight(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path / "w")
    limit = WriteLimit(2, slots, 1)
    with limit.slot(1.0):
        assert slots._held == {0}
        with slots.slot(1, 0.1) as other:
            assert other is None
    assert slots._held == set()


def test_every_client_of_a_process_shares_one_registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    a = MlflowClient("http://127.0.0.1:1", host_write_slots=3)
    b = MlflowClient("http://127.0.0.1:1/")
    assert a._transport.write_limit.host is b._transport.write_limit.host is host_slots("http://127.0.0.1:1")
    assert a._transport.write_limit.host_slots == 3
    assert b._transport.write_limit.host_slots == DEFAULTS["host_write_slots"] == CONGESTION["window_cap"]


# Holds lock file argv[2] of directory argv[1] for argv[3] seconds, saying "held" once it has it,
# then exits (the kernel drops its lock).
BRIEF_HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys, time
    fd = os.open(os.path.join(sys.argv[1], sys.argv[2]), os.O_RDWR | os.O_CREAT)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
    """
)


def _hold(directory: Path, name: str, seconds: float) -> subprocess.Popen[str]:
    directory.mkdir(exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", BRIEF_HOLDER, str(directory), name, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_waiter_gets_the_slot_soon_after_another_process_lets_go(tmp_path: Path) -> None:
    holder = _hold(tmp_path / "w", "0.lock", 1.0)
    slots = HostSlots(tmp_path / "w")
    began = time.monotonic()
    with slots.slot(1, 30.0) as index:
        assert index == 0
    holder.wait(timeout=10)
    assert time.monotonic() - began < 10  # far from the 30 s timeout


def _nobody_holds(directory: Path, name: str) -> bool:
    """Whether another process can take the lock file at once."""
    code = (
        f"import fcntl, os; fcntl.lockf(os.open({str(directory / name)!r}, os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30).returncode == 0


def test_the_head_of_the_queue_holds_the_queue_lock_until_it_has_a_slot(tmp_path: Path) -> None:
    directory, queue = tmp_path / "w", HOST_SLOTS["queue_file"]
    holder = _hold(directory, "0.lock", 1.5)
    slots = HostSlots(directory)
    seen: list[bool] = []
    probe = threading.Timer(0.5, lambda: seen.append(_nobody_holds(directory, queue)))
    probe.start()
    with slots.slot(1, 30.0) as index:
        probe.join()
        assert seen == [False]  # while it waited for the slot, the queue was this process's
        assert index == 0 and _nobody_holds(directory, queue)  # then it left the queue to the next
    holder.wait(timeout=10)


def test_a_queue_lock_granted_after_its_writer_left_is_given_back(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    holder = _hold(directory, HOST_SLOTS["queue_file"], 1.0)
    slots = HostSlots(directory)
    began = time.monotonic()
    with slots.slot(1, 0.3) as index:
        assert index is None and slots.waited_out == 1
    assert 0.3 <= time.monotonic() - began < 1.0  # left at its timeout, while the holder was at the head
    holder.wait(timeout=10)
    deadline = time.monotonic() + 10
    while slots._queue_wait and time.monotonic() < deadline:  # the helper thread: granted, then gives it back
        time.sleep(0.01)
    assert slots._queue_wait is None and _nobody_holds(directory, HOST_SLOTS["queue_file"])
    with slots.slot(1, 1.0) as again:
        assert again == 0


def test_a_writer_takes_over_the_queue_wait_a_writer_of_its_process_left(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    holder = _hold(directory, HOST_SLOTS["queue_file"], 1.0)
    slots = HostSlots(directory)
    with slots.slot(1, 0.2) as index:
        assert index is None
    left_behind = slots._queue_wait  # its helper thread is still in the kernel's queue
    assert left_behind is not None
    seen: list[object] = []
    probe = threading.Timer(0.2, lambda: seen.append(slots._queue_wait))
    probe.start()
    began = time.monotonic()
    with slots.slot(1, 20.0) as index:
        assert index == 0  # the grant came to this writer, not given back
    probe.join()
    # The same wait, not a second helper on the file: the process would be granted the lock twice.
    assert seen == [left_behind]
    assert time.monotonic() - began < 10
    holder.wait(timeout=10)
    assert slots._queue_wait is None and _nobody_holds(directory, HOST_SLOTS["queue_file"])


def test_two_threads_waiting_for_one_slot_never_hold_it_at_once(tmp_path: Path) -> None:
    holder = _hold(tmp_path / "w", "0.lock", 0.5)
    slots = HostSlots(tmp_path / "w")
    inside, most, got = 0, 0, []
    guard = threading.Lock()

    def write() -> None:
        nonlocal inside, most
        with slots.slot(1, 20.0) as index:
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.2)
            with guard:
                inside -= 1
                got.append(index)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    holder.wait(timeout=10)
    assert got == [0, 0] and most == 1
