"""The request-header plugin: the official mlflow client, with mlflowrest installed, sends the
headers mlflowrest sends. A 127.0.0.1 reverse proxy in front of the harness server refuses any
request without the bearer token and a team SSO ticket; the ticket comes from a provider
registered in mlflowrest's own group (`mlflowrest.request_header_providers`), which mlflow
knows nothing about, so only the plugin can bring it to the official client's requests."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

TOKEN = "s3cret-token"
TICKET = "ticket-42"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}

OFFICIAL_SCRIPT = textwrap.dedent("""
    import json, os, mlflow
    if os.environ.get("DROP_MLFLOWREST_PLUGIN"):
        from mlflow.tracking.request_header import registry
        registry._request_header_provider_registry._registry = [
            p for p in registry._request_header_provider_registry
            if not type(p).__module__.startswith("mlflowrest.")]
    mlflow.set_experiment("header-plugin")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metric("loss", 0.25)
        mlflow.log_text("hello", "note.txt")
    got = mlflow.get_run(run.info.run_id)
    print(json.dumps({"run_id": run.info.run_id, "loss": got.data.metrics["loss"]}))
""")

SDK_SCRIPT = textwrap.dedent("""
    import json
    from mlflowrest import MlflowClient
    client = MlflowClient(max_retries=0)
    found = client.experiments.get_by_name(experiment_name="header-plugin").experiment
    runs = client.runs.search(experiment_ids=[found.experiment_id]).to_list()
    print(json.dumps({"runs": len(runs)}))
""")


@dataclass
class Proxy:
    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def proxy(server_url: str) -> Iterator[Proxy]:
    upstream = urlparse(server_url)
    record = Proxy(url="")

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            auth, ticket = self.headers.get("Authorization"), self.headers.get("X-Team-SSO")
            record.seen.append({"method": self.command, "path": self.path, "authorization": auth, "sso": ticket})
            body = self._body()
            if auth != f"Bearer {TOKEN}" or ticket != TICKET:
                self._answer(401, {"Content-Type": "application/json"}, json.dumps(
                    {"error_code": "UNAUTHENTICATED", "message": "proxy: bearer token and SSO ticket required"}
                ).encode())  # fmt: skip
                return
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            self._answer(answer.status, dict(answer.getheaders()), answer.read())
            conn.close()

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def team_sso(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that, on PYTHONPATH, installs an SSO provider in mlflowrest's plugin group."""
    site = tmp_path_factory.mktemp("site")
    (site / "team_sso.py").write_text(textwrap.dedent(f"""
        class TeamSso:
            def in_context(self):
                return True

            def request_headers(self):
                return {{"X-Team-SSO": "{TICKET}"}}
    """))  # fmt: skip
    dist = site / "team_sso-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: team-sso\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mlflowrest.request_header_providers]\nteam-sso = team_sso:TeamSso\n")
    return site


def run_script(script: str, proxy: Proxy, *, pythonpath: Path | None, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHONPATH"))}
    env.update({"MLFLOW_TRACKING_URI": proxy.url, "MLFLOW_TRACKING_TOKEN": TOKEN,
                "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", **extra})  # fmt: skip
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)


def test_official_client_sends_the_sdk_headers(proxy: Proxy, team_sso: Path) -> None:
    proxy.seen.clear()
    done = run_script(OFFICIAL_SCRIPT, proxy, pythonpath=team_sso)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["loss"] == 0.25
    paths = [r["path"] for r in proxy.seen]
    assert any("/runs/create" in p for p in paths) and any("/mlflow-artifacts/artifacts/" in p for p in paths)
    # every request, artifacts included, carried both headers once (mlflow joins duplicates with a space)
    assert {(r["authorization"], r["sso"]) for r in proxy.seen} == {(f"Bearer {TOKEN}", TICKET)}


def test_without_the_plugin_the_official_client_is_refused(proxy: Proxy, team_sso: Path) -> None:
    proxy.seen.clear()
    done = run_script(OFFICIAL_SCRIPT, proxy, pythonpath=team_sso, DROP_MLFLOWREST_PLUGIN="1")
    assert done.returncode != 0
    assert "bearer token and SSO ticket required" in done.stderr
    assert proxy.seen and all(r["sso"] is None for r in proxy.seen)


def test_our_sdk_sends_the_same_headers_from_the_same_configuration(proxy: Proxy, team_sso: Path) -> None:
    assert run_script(OFFICIAL_SCRIPT, proxy, pythonpath=team_sso).returncode == 0
    proxy.seen.clear()
    done = run_script(SDK_SCRIPT, proxy, pythonpath=team_sso)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["runs"] >= 1
    assert {(r["authorization"], r["sso"]) for r in proxy.seen} == {(f"Bearer {TOKEN}", TICKET)}


def test_provider_reads_the_sdk_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflowrest.plugins import request_headers

    monkeypatch.setattr(request_headers, "_tracking_uri", lambda: "http://mlflow.test")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok")
    provider = request_headers.MlflowRestHeaders()
    assert provider.in_context()
    assert provider.request_headers()["Authorization"] == "Bearer tok"

    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ann")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    assert provider.request_headers()["Authorization"] == "Basic YW5uOnB3"

    monkeypatch.setattr(request_headers, "_tracking_uri", lambda: "sqlite:///mlflow.db")
    assert not provider.in_context()  # a local store gets no HTTP headers
    assert provider.request_headers() == {}

    # a databricks login mlflowrest cannot read (no profile, no DATABRICKS_HOST): stay out of the way.
    # (MLFLOW_TRACKING_USERNAME/PASSWORD would win over DATABRICKS_TOKEN here: the family's
    # "basic wins" rule, openapi/family-rules.yaml; a Databricks login has none of them.)
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD")
    monkeypatch.setattr(request_headers, "_tracking_uri", lambda: "databricks")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", "/nonexistent/databrickscfg")
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    assert not provider.in_context()
    monkeypatch.setenv("DATABRICKS_HOST", "https://dbc.example.com")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-1")
    assert provider.request_headers()["Authorization"] == "Bearer dapi-1"
