"""One family by construction (issue 17, item 2): configuration and errors through every driver.

tests/contract/family/config.yaml: the same environment gives the same effective configuration
(printed by each driver as JSON, secrets masked). tests/contract/family/errors.yaml: the same
error answer, served by a stub route on 127.0.0.1, gives the same class, fields and message.
No MLflow server is needed; CONTRACT_LANGS names the languages, as for the scenarios."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.contract.runner.engine import Driver, driver_command, family_class, languages
from tests.contract.runner.scenario_file import load_family

LANGS = languages()
CONFIG = load_family("config")  # checked against family.schema.json
ERRORS = load_family("errors")
BY_ID = {case["id"]: case for case in ERRORS}


class _Stub(BaseHTTPRequestHandler):
    """Answers GET .../runs/get?run_id=<case id> with that case's status and body."""

    def do_GET(self) -> None:
        run_id = parse_qs(urlparse(self.path).query).get("run_id", [""])[0]
        case = BY_ID.get(run_id, {"status": 500, "text": f"no case {run_id}"})
        if "json" in case:
            body, kind = json.dumps(case["json"]).encode(), "application/json"
        elif "html" in case:
            body, kind = case["html"].encode(), "text/html"
        else:
            body, kind = case.get("text", "").encode(), "text/plain"
        self.send_response(case["status"])
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if "location" in case:
            self.send_header("Location", case["location"])
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def drivers(stub_url: str) -> Iterator[dict[str, Driver]]:
    env = {"MLFLOW_TRACKING_URI": stub_url, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
           "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0"}  # fmt: skip
    started = {lang: Driver(lang, driver_command(lang), env, timeout=60) for lang in LANGS}
    try:
        yield started
    finally:
        for d in started.values():
            d.close()


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return isinstance(actual, (int, float)) and expected is not None and abs(float(actual) - expected) < 1e-9
    return bool(expected == actual)


@pytest.mark.parametrize("case", CONFIG, ids=[c["id"] for c in CONFIG])
def test_same_environment_same_configuration(drivers: dict[str, Driver], case: dict[str, Any], tmp_path: Path) -> None:
    cfgfile = tmp_path / "databrickscfg"
    cfgfile.write_text("[DEFAULT]\nhost = https://default.example\ntoken = d1\n\n[ml]\nhost = ml.example\ntoken = t2\n")
    env = {k: str(v).replace("${cfgfile}", str(cfgfile)) for k, v in case["env"].items()}
    seen: dict[str, Any] = {}
    problems = []
    for lang, driver in drivers.items():
        answer = driver.call("effectiveConfig", {"env": env})
        seen[lang] = answer
        if "expect_error" in case:
            err = answer.get("error") or {}
            want = case["expect_error"]
            if answer.get("ok") or family_class(err.get("class")) != want["class"] or err.get("field") != want["field"]:
                problems.append(f"[{lang}] expected {want}, got {json.dumps(answer)[:300]}")
            continue
        if not answer.get("ok"):
            problems.append(f"[{lang}] unexpected error {json.dumps(answer.get('error'))[:300]}")
            continue
        for key, value in case["expect"].items():
            if not _same(value, answer["result"].get(key)):
                problems.append(f"[{lang}] {key} = {answer['result'].get(key)!r}, expected {value!r}")
        if "s3cret" in json.dumps(answer) or "tok" in json.dumps(answer["result"].get("token")):
            problems.append(f"[{lang}] a secret is printed")
    # Beyond the listed fields, every language prints the same configuration.
    results = {lang: a.get("result") for lang, a in seen.items() if a.get("ok")}
    if len(results) == len(LANGS) and "expect" in case:
        first = LANGS[0]
        for lang in LANGS[1:]:
            for key, value in results[first].items():
                if not _same(value, results[lang].get(key)):
                    problems.append(f"[{lang}] {key} = {results[lang].get(key)!r}, {first} says {value!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", ERRORS, ids=[c["id"] for c in ERRORS])
def test_same_answer_same_error(drivers: dict[str, Driver], case: dict[str, Any]) -> None:
    problems = []
    for lang, driver in drivers.items():
        answer = driver.call("getRun", {"run_id": case["id"]})
        err = answer.get("error") or {}
        if answer.get("ok"):
            problems.append(f"[{lang}] expected an error, got {json.dumps(answer)[:200]}")
            continue
        got = {"class": family_class(err.get("class")), "http_status": err.get("http_status"),
               "error_code": err.get("error_code"), "message": err.get("message")}  # fmt: skip
        for key, value in case["expect"].items():
            if got[key] != value:
                problems.append(f"[{lang}] {key} = {got[key]!r}, expected {value!r}")
    assert not problems, "\n".join(problems)
