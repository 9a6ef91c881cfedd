"""The journal (docs/journal.md) against a stub server: the file format both ways, torn and corrupt
lines, disk full, journal mode through an outage, offline ids, and sync's idempotent replay."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import responses

from mlflowrest import JournalError, MlflowClient, TransportError, start_run, sync
from mlflowrest._journal import _reader
from mlflowrest._journal._writer import JournalWriter

BASE = "http://mlflow.test"
API = f"{BASE}/api/2.0/mlflow"
SCHEMA = json.loads((Path(__file__).parents[3] / "openapi" / "journal.schema.json").read_text())
LOCAL = re.compile(r"^local-[0-9a-f]{32}$")


def records(directory: Path) -> list[dict[str, Any]]:
    """Every record of the directory's journal files, each checked against the schema."""
    out = []
    for path in sorted(directory.glob("journal-*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            jsonschema.validate(record, SCHEMA)
            out.append(record)
    return out


def client(directory: Path, **kw: Any) -> MlflowClient:
    kw = {"backoff_factor": 0.0, "backoff_jitter": 0.0, "max_retries": 1, "timeout": 5.0, **kw}
    return MlflowClient(BASE, journal_dir=str(directory), **kw)


class Server:
    """Runs, experiments and points the way MLflow stores them (a repeated point once)."""

    def __init__(self) -> None:
        self.up = True
        self.creates = 0
        self.experiments: dict[str, str] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.points: set[tuple[Any, ...]] = set()
        self.params: dict[tuple[str, str], str] = {}
        self.calls: list[str] = []

    def answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        if not self.up:
            raise requests.ConnectionError("Connection refused")
        path = request.path_url.split("?")[0].removeprefix("/api/2.0/mlflow/")
        body = json.loads(request.body or "{}")
        self.calls.append(path)
        if path == "experiments/create":
            if body["name"] in self.experiments:
                return 400, {}, json.dumps({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"})
            self.experiments[body["name"]] = str(len(self.experiments) + 10)
            return 200, {}, json.dumps({"experiment_id": self.experiments[body["name"]]})
        if path == "experiments/get-by-name":
            name = request.params["experiment_name"]
            return 200, {}, json.dumps({"experiment": {"experiment_id": self.experiments[name], "name": name}})
        if path == "runs/create":
            self.creates += 1
            run_id = f"r{self.creates}"
            self.runs[run_id] = {"info": {"run_id": run_id, "experiment_id": body.get("experiment_id", "0"),
                                          "status": "RUNNING"}, "data": {"tags": body.get("tags", [])}}  # fmt: skip
            return 200, {}, json.dumps({"run": self.runs[run_id]})
        if path == "runs/search":
            key = re.search(r"= '([^']*)'", body.get("filter", ""))
            found = [r for r in self.runs.values() if key and any(t["value"] == key[1] for t in r["data"]["tags"])]
            return 200, {}, json.dumps({"runs": found[:1]})
        run_id = body.get("run_id")
        if run_id not in self.runs:
            return 404, {}, json.dumps({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"no run {run_id}"})
        if path == "runs/log-batch":
            self.points |= {(run_id, m["key"], m["value"], m["timestamp"], m["step"]) for m in body.get("metrics", [])}
            for p in body.get("params", []):
                if self.params.setdefault((run_id, p["key"]), p["value"]) != p["value"]:
                    return 400, {}, json.dumps({"error_code": "INVALID_PARAMETER_VALUE", "message": "changed"})
        elif (
            path == "runs/log-parameter"
            and self.params.setdefault((run_id, body["key"]), body["value"]) != body["value"]
        ):
            return 400, {}, json.dumps({"error_code": "INVALID_PARAMETER_VALUE", "message": "changed"})
        elif path == "runs/log-metric":
            self.points.add((run_id, body["key"], body["value"], body["timestamp"], body.get("step", 0)))
        elif path == "runs/set-tag":
            self.runs[run_id]["data"]["tags"].append({"key": body["key"], "value": body["value"]})
        elif path == "runs/update":
            self.runs[run_id]["info"]["status"] = body["status"]
        return 200, {}, "{}"

    def install(self, mock: responses.RequestsMock) -> None:
        for method in (responses.POST, responses.GET):
            mock.add_callback(method, re.compile(re.escape(API) + r"/.*"), callback=self.answer)


@pytest.fixture
def server() -> Any:
    stub = Server()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stub.install(mock)
        yield stub


# ---- the file ---------------------------------------------------------------------------------------
def _file(tmp_path: Path, lines: list[str], tail: str = "") -> Path:
    path = tmp_path / ("journal-" + "a" * 32 + ".jsonl")
    head = {"type": "open", "format": "mlflowrest-journal", "version": 1, "session": "a" * 32, "sdk": "r",
            "sdk_version": "0.1.0", "pid": 1, "host": "elsewhere", "created_ms": 1, "mode": "offline",
            "tracking_uri": None}  # fmt: skip
    path.write_text("".join(x + "\n" for x in [json.dumps(head), *lines]) + tail)
    return path


CALL = json.dumps({"type": "call", "seq": 1, "request_id": "x", "operation": "setTag", "method": "POST",
                   "path": "/api/2.0/mlflow/runs/set-tag", "body": {"run_id": "r1", "key": "k", "value": "v"},
                   "time_ms": 1})  # fmt: skip


def test_a_torn_last_line_is_ignored_and_cut_off_when_the_file_is_reopened(tmp_path: Path) -> None:
    path = _file(tmp_path, [CALL], tail='{"type":"done","se')
    read = _reader.read(str(path))
    assert (read.torn, [r["seq"] for r in read.pending]) == (1, [1])
    writer = JournalWriter.reopen(str(path), read.valid_size, seq=read.last_seq)
    writer.append({"type": "done", "seq": 1, "status": 200, "time_ms": 2})
    writer.close()
    again = _reader.read(str(path))
    assert (again.torn, again.pending, len(again.records)) == (0, [], 3)


def test_an_unparseable_last_line_is_torn_but_one_in_the_middle_is_corruption(tmp_path: Path) -> None:
    assert _reader.read(str(_file(tmp_path, [CALL, "{not json"]))).torn == 1
    path = _file(tmp_path, [CALL, "{not json", CALL])
    with pytest.raises(JournalError, match=rf"{re.escape(str(path))}: line 3 is corrupt"):
        _reader.read(str(path))


def test_disk_full_names_the_file_leaves_earlier_records_and_sends_nothing(tmp_path: Path, server: Server) -> None:
    c = client(tmp_path)
    server.runs["r1"] = {"info": {"run_id": "r1"}, "data": {"tags": []}}
    c.runs.set_tag(run_id="r1", key="a", value="1")
    journal = c._transport.journal
    assert journal is not None and journal._writer is not None
    before = Path(journal._writer.path).read_bytes()
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, journal._writer._fd)  # every later write fails with ENOSPC, as on a full disk
    os.close(full)
    sent = len(server.calls)
    with pytest.raises(JournalError, match=re.escape(journal._writer.path)):
        c.runs.set_tag(run_id="r1", key="b", value="2")
    assert len(server.calls) == sent  # the call it was for is not sent
    assert Path(journal._writer.path).read_bytes() == before


# ---- journal mode -------------------------------------------------------------------------------------
def test_each_write_is_recorded_before_it_is_sent_and_settled_after(tmp_path: Path, server: Server) -> None:
    c = client(tmp_path)
    with start_run(client=c, experiment_id="0") as run:
        run.log_param("alpha", 0.5)
    kinds = [(r["type"], r.get("operation")) for r in records(tmp_path)]
    assert kinds[:4] == [("open", None), ("call", "createRun"), ("bind", None), ("done", None)]
    assert ("call", "logParam") in kinds and ("call", "updateRun") in kinds
    calls = [r for r in records(tmp_path) if r["type"] == "call"]
    done = {r["seq"] for r in records(tmp_path) if r["type"] == "done"}
    assert {r["seq"] for r in calls} == done and run.left_for_sync == 0


def test_an_outage_keeps_logging_into_the_journal_and_the_drain_sends_it_in_order(
    tmp_path: Path, server: Server
) -> None:
    c = client(tmp_path)
    run = start_run(client=c, experiment_id="0", background=True, flush_interval=0.05)
    server.up = False
    run.log_param("alpha", "0.5")  # the retry budget runs out: recorded, not raised
    run.set_tag("phase", "one")
    run.set_tag("phase", "two")
    for step in range(2500):
        run.log_metric("loss", step / 10, step=step, timestamp=1000 + step)
    run.flush(timeout=10)
    journal = c._transport.journal
    assert journal is not None and journal._pending  # queued behind the unsent param
    server.up = True
    run.end(timeout=20)
    assert run.left_for_sync == 0
    assert len(server.points) == 2500 and server.params == {(run.run_id, "alpha"): "0.5"}
    assert [t["value"] for t in server.runs[run.run_id]["data"]["tags"] if t["key"] == "phase"] == ["one", "two"]
    assert server.runs[run.run_id]["info"]["status"] == "FINISHED"


def test_end_run_waits_at_most_flush_timeout_and_leaves_the_rest_for_sync(
    tmp_path: Path, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    c = client(tmp_path, flush_timeout=0.5)
    run = start_run(client=c, experiment_id="0", background=True, flush_interval=0.05)
    server.up = False
    for step in range(100):
        run.log_metric("loss", 1.0, step=step, timestamp=step)
    run.end()
    assert run.left_for_sync >= 2  # the points and the status change
    assert f"{run.left_for_sync} calls are left in the journal {tmp_path}" in caplog.text
    server.up = True
    c.close()
    report = sync(str(tmp_path), MlflowClient(BASE, max_retries=0))
    assert report.ok and len(server.points) == 100 and server.runs[run.run_id]["info"]["status"] == "FINISHED"


def test_raise_mode_raises_and_a_final_refusal_is_recorded_failed(tmp_path: Path, server: Server) -> None:
    c = client(tmp_path, journal_on_unreachable="raise")
    server.runs["r1"] = {"info": {"run_id": "r1"}, "data": {"tags": []}}
    c.runs.log_param(run_id="r1", key="alpha", value="1")
    with pytest.raises(Exception, match="changed"):
        c.runs.log_batch(run_id="r1", params=[{"key": "alpha", "value": "2"}])  # type: ignore[list-item]
    server.up = False
    with pytest.raises(TransportError):
        c.runs.set_tag(run_id="r1", key="k", value="v")
    failed = [r for r in records(tmp_path) if r["type"] == "failed"]
    assert [(f["status"], f["error_code"]) for f in failed] == [(400, "INVALID_PARAMETER_VALUE")]


# ---- offline and sync -------------------------------------------------------------------------------------
def _offline_run(directory: Path) -> str:
    c = MlflowClient(f"offline:{directory}")
    with start_run(client=c, experiment_name="exp", run_name="r") as run:
        run.log_params({"alpha": 0.5})
        run.set_tag("team", "ml")
        for step in range(3):
            run.log_metric("loss", 1 / (step + 1), step=step, timestamp=100 + step)
        with pytest.raises(JournalError, match="offline"):
            c.runs.get(run_id=run.run_id)
    c.close()
    return run.run_id


def test_offline_runs_get_local_ids_carried_as_idempotency_keys(tmp_path: Path) -> None:
    local = _offline_run(tmp_path)
    assert LOCAL.match(local)
    create = next(r for r in records(tmp_path) if r.get("operation") == "createRun")
    assert create["binds"] == {"field": "run.info.run_id", "local": local}
    assert {"key": "mlflowrest.idempotency_key", "value": local} in create["body"]["tags"]
    assert LOCAL.match(create["body"]["experiment_id"])


def test_sync_twice_and_after_a_kill_half_way_creates_nothing_twice(tmp_path: Path, server: Server) -> None:
    local = _offline_run(tmp_path)
    syncer = MlflowClient(BASE, max_retries=0)
    server.calls.clear()
    # Killed half-way: the run was created but its answer never recorded (no bind, no done).
    original = server.answer
    server.answer = lambda request: (_ for _ in ()).throw(SystemExit) if "log-batch" in request.path_url \
        else original(request)  # type: ignore[method-assign]  # fmt: skip
    server_answer = server.answer
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.POST, responses.GET):
            mock.add_callback(method, re.compile(re.escape(API) + r"/.*"), callback=server_answer)
        with pytest.raises(SystemExit):
            sync(str(tmp_path), syncer)
    path = next(tmp_path.glob("journal-*.jsonl"))
    kept = [line for line in path.read_text().splitlines() if '"bind"' not in line and '"done"' not in line]
    path.write_text("\n".join(kept) + "\n")
    server.answer = original  # type: ignore[method-assign]
    first = sync(str(tmp_path), syncer)
    second = sync(str(tmp_path), syncer)
    assert first.ok and second.ok and server.creates == 1
    assert first.runs == {local: "r1"} and first.total("already_present") == 2  # the experiment and the run
    assert second.total("sent") == 0
    assert server.points == {("r1", "loss", 1 / (s + 1), 100 + s, s) for s in range(3)}
    assert server.runs["r1"]["info"]["status"] == "FINISHED"


def test_sync_skips_a_live_file_and_a_live_lock_but_takes_over_a_dead_one(tmp_path: Path, server: Server) -> None:
    path = _file(tmp_path, [CALL])
    head = json.loads(path.read_text().splitlines()[0])
    head.update(pid=os.getppid(), host=socket.gethostname())
    path.write_text("\n".join([json.dumps(head), CALL]) + "\n")
    report = sync(str(tmp_path), MlflowClient(BASE, max_retries=0))
    assert report.files[0].skipped and "live process" in report.text()
    forced = sync(str(tmp_path), MlflowClient(BASE, max_retries=0), include_live=True)
    assert not forced.files[0].skipped and forced.files[0].failed == {"RESOURCE_DOES_NOT_EXIST": 1}
    (tmp_path / "sync.lock").mkdir()
    (tmp_path / "sync.lock" / "owner.json").write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    with pytest.raises(JournalError, match="another sync"):
        sync(str(tmp_path), MlflowClient(BASE, max_retries=0))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "sync.lock" / "owner.json").write_text(
        json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()})
    )
    assert sync(str(tmp_path), MlflowClient(BASE, max_retries=0)).files[0].skipped
    assert not (tmp_path / "sync.lock").exists()


def test_the_sync_command_exits_1_when_a_call_waits(tmp_path: Path) -> None:
    waiting = CALL.replace('"r1"', '"local-' + "b" * 32 + '"')
    _file(tmp_path, [waiting])
    out = subprocess.run([sys.executable, "-m", "mlflowrest", "sync", str(tmp_path), "--tracking-uri", BASE],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert "waiting 1" in out.stdout and "waits for local-bbbb" in out.stdout


def test_the_settings_come_from_the_family_rules(tmp_path: Path) -> None:
    from mlflowrest import Config, InvalidParameterValueError

    env = {"MLFLOW_TRACKING_URI": "offline:///data/runs", "MLFLOWREST_JOURNAL_FSYNC": "Never"}
    cfg = Config.from_env(env=env)
    assert (cfg.offline, cfg.journal_dir, cfg.journal_fsync, cfg.journal_on_unreachable) == (
        True, "/data/runs", "never", "keep")  # fmt: skip
    with pytest.raises(InvalidParameterValueError, match="keep/raise") as caught:
        Config.from_env(env={"MLFLOW_TRACKING_URI": BASE, "MLFLOWREST_JOURNAL_ON_UNREACHABLE": "ignore"})
    assert caught.value.field == "MLFLOWREST_JOURNAL_ON_UNREACHABLE"


def test_an_artifact_logged_while_the_server_is_away_is_copied_into_the_journal(tmp_path: Path, server: Server) -> None:
    c = client(tmp_path / "j", flush_timeout=0.5)
    with start_run(client=c, experiment_id="0") as run:
        server.up = False
        (tmp_path / "model.txt").write_text("weights")
        assert run.log_artifact(tmp_path / "model.txt", "models") == ["models/model.txt"]
        journal = c._transport.journal
        assert journal is not None
        journal._stop.set()  # keep the drainer from sending it: this test reads what was recorded
    artifact = next(r for r in records(tmp_path / "j") if r["type"] == "artifact")
    assert (artifact["run_id"], artifact["artifact_path"], artifact["kind"]) == (run.run_id, "models", "file")
    assert (tmp_path / "j" / artifact["file"]).read_text() == "weights"
