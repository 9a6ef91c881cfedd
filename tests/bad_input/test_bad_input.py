"""At least 40 bad inputs through each SDK's public API (tests/bad_input/cases.yaml).

Each must end in the family's typed error (or succeed where MLflow accepts the input): never a
crash, never an HTTP library's own exception, never a partial write. Prints the table."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlflowrest import MlflowClient
from tests.contract.runner.engine import Driver, driver_command, family_class, languages, match, substitute
from tests.harness import MlflowServer

LANGS = languages()
CASES = yaml.safe_load((Path(__file__).with_name("cases.yaml")).read_text())
FAMILY = {"MlflowError", "TransportError", "RequestTimeoutError", "ApiError", "InvalidParameterValueError",
          "ResourceAlreadyExistsError", "ResourceDoesNotExistError", "UnauthenticatedError", "PermissionDeniedError",
          "ConflictError", "RateLimitedError", "ServerError", "UnexpectedResponseError"}  # fmt: skip
DRIVER_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.05",
              "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}  # fmt: skip
TABLE: dict[str, dict[str, str]] = {}


def stub(status: int, content_type: str, body: bytes) -> ThreadingHTTPServer:
    """A server that answers every request the same way (what a broken proxy or a login page does)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    files = Path(tempfile.mkdtemp(prefix="mlflowrest-bad-"))
    (files / "empty.bin").write_bytes(b"")
    (files / "latin1").mkdir()
    with open(bytes(files / "latin1") + b"/caf\xe9.txt", "wb") as fh:  # not valid UTF-8
        fh.write(b"latin-1 name\n")
    (files / "badname").mkdir()
    for name in ("a.txt", "bad#name.txt", "z.txt"):  # the server refuses '#': checked before any upload
        (files / "badname" / name).write_text(name)
    stubs = {
        "html_server": stub(200, "text/html", b"<html><body>Please log in</body></html>"),
        "truncated_server": stub(200, "application/json", b'{"run": {"info": {"run_id": "ab'),
        "html_500_server": stub(500, "text/html", b"<html><h1>Internal Server Error</h1></html>"),
        "text_404_server": stub(404, "text/plain", b"Not Found"),
    }
    with MlflowServer() as server:
        print(f"\nbad-input server ready in {server.start_seconds:.1f} s")
        urls = {k: f"http://127.0.0.1:{s.server_address[1]}" for k, s in stubs.items()}
        yield {"server": server, "files": files, **urls}
    for s in stubs.values():
        s.shutdown()
    shutil.rmtree(files, ignore_errors=True)


def set_up(server_url: str, lang: str) -> dict[str, str]:
    """Entities the cases refer to, made directly (not through the SDK under test)."""
    c = MlflowClient(server_url)
    exp = c.experiments.create(name=f"bad-input-{lang}").experiment_id or ""
    deleted_exp = c.experiments.create(name=f"bad-input-deleted-{lang}").experiment_id or ""
    c.experiments.delete(experiment_id=deleted_exp)
    run = c.runs.create(experiment_id=exp).run
    deleted = c.runs.create(experiment_id=exp).run
    assert run and run.info and deleted and deleted.info
    c.runs.log_param(run_id=run.info.run_id or "", key="lr", value="0.1")
    c.runs.delete(run_id=deleted.info.run_id or "")
    c.registered_models.create(name=f"bad-input-{lang}")
    return {"exp": exp, "deleted_exp": deleted_exp, "run": run.info.run_id or "",
            "deleted_run": deleted.info.run_id or ""}  # fmt: skip


def known_failures(lang: str) -> set[str]:
    path = Path(__file__).resolve().parents[1] / "contract" / "known_failures" / f"{lang}.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return {line.split("#")[0].strip() for line in lines if line.startswith("bad_input/")}


def verdict(answer: dict[str, Any], case: dict[str, Any]) -> tuple[bool, str]:
    """(as expected?, what happened) for one driver answer against one case's expectation."""
    if answer.get("ok"):
        shown = "ok"
        good = bool(case.get("ok")) or "error_or_ok" in case or "expect" in case
        if "expect" in case:
            problems = match(case["expect"], answer.get("result"))
            good, shown = good and not problems, "ok" if not problems else f"ok but {problems[0]}"
        return good, shown
    err = answer["error"]
    cls = family_class(err.get("class")) or "?"
    shown = f"{cls}({err.get('error_code') or '-'})"
    if cls not in FAMILY:
        return False, f"CRASH {cls}: {str(err.get('message'))[:120]}"
    wanted = case.get("error") or case.get("error_or_ok")
    return cls == wanted, shown


@pytest.mark.parametrize("lang", LANGS)
def test_bad_inputs(world: dict[str, Any], lang: str) -> None:
    server = world["server"]
    env = {"lang": lang, "server": server.url, "files": str(world["files"]), **set_up(server.url, lang),
           **{k: v for k, v in world.items() if k.endswith("_server")}}  # fmt: skip
    driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": server.url})
    failures, row = [], {}
    listed_failures = known_failures(lang)  # `bad_input/<case>` lines, the contract suite's rule
    try:
        for case in CASES:
            if lang in (case.get("not_applicable") or {}):
                row[case["id"]] = "n/a (" + case["not_applicable"][lang] + ")"
                continue
            good, shown = verdict(driver.call(case["op"], substitute(case.get("args", {}), env)), case)
            then = case.get("then")
            if good and then:
                good, shown = verdict(driver.call(then["op"], substitute(then.get("args", {}), env)), then)
            if case["op"] == "connect":  # back to the real server for the next case
                driver.call("connect", {"tracking_uri": server.url})
            listed = f"bad_input/{case['id']}" in listed_failures
            row[case["id"]] = ("" if good else "known failure " if listed else "UNEXPECTED ") + shown
            if good and listed:
                failures.append(f"[{lang}] {case['id']}: passes but is listed in known_failures/{lang}.txt")
            elif not good and not listed:
                failures.append(f"[{lang}] {case['id']}: {shown}")
    finally:
        driver.close()
    TABLE[lang] = row
    assert len(CASES) >= 40
    assert not failures, "\n".join(failures)


def test_zz_table() -> None:
    width = max(len(c["id"]) for c in CASES) + 2
    print("\nbad inputs x languages:")
    print("case".ljust(width) + "".join(lang.ljust(44) for lang in TABLE))
    for case in CASES:
        print(case["id"].ljust(width) + "".join(TABLE[lang].get(case["id"], "-")[:42].ljust(44) for lang in TABLE))
    for lang, row in TABLE.items():
        handled = sum(1 for v in row.values() if not v.startswith(("UNEXPECTED", "known failure")))
        print(f"{lang}: {len(row)} bad inputs tried, {handled} handled as specified")
    assert set(TABLE) == set(LANGS)
