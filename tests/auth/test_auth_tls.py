"""Authentication and TLS in every SDK.

- The contract scenarios against `mlflow server --app-name basic-auth` with correct credentials;
  wrong or missing credentials give UnauthenticatedError (from an HTML 401); a user with only READ
  on an experiment gets PermissionDeniedError writing to it; no password appears in any answer,
  client repr/toString, driver log or the recorded traffic dump.
- A server behind a self-signed certificate is refused by default (TransportError), and accepted
  with the CA path or the insecure flag.
"""

from __future__ import annotations

import base64
import configparser
import datetime
import ipaddress
import secrets
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.contract.runner.engine import Driver, driver_command, languages, load_scenarios, make_fixtures, run_scenario
from tests.harness import MlflowServer
from tests.harness.proxy import Exchange, Proxy

LANGS = languages()
ADMIN_PASSWORD = "admin-" + secrets.token_hex(8)
ALICE_PASSWORD = "alice-" + secrets.token_hex(8)
WRONG_PASSWORD = "wrong-" + secrets.token_hex(8)
SECRETS = (ADMIN_PASSWORD, ALICE_PASSWORD, WRONG_PASSWORD)
DRIVER_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.05"}
REPORT: dict[str, dict[str, Any]] = {}


def auth_config(folder: Path) -> Path:
    """MLflow's own basic_auth.ini with its credential cache on (auth_cache_ttl_seconds, off by
    default). Without it the server re-runs the password hash on every request, 0.3 s of CPU each,
    and this module's ~600 requests took three minutes. Only a (user, password) that passed the
    full check is cached, so a wrong or missing password still meets it and is refused."""
    import mlflow

    config = configparser.ConfigParser()
    config.read(Path(mlflow.__file__).parent / "server" / "auth" / "basic_auth.ini")
    config["mlflow"]["auth_cache_ttl_seconds"] = "3600"
    path = folder / "basic_auth.ini"
    with path.open("w") as out:
        config.write(out)
    return path


@pytest.fixture(scope="module")
def auth_server() -> Iterator[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="mlflowrest-auth-"))
    env = {"MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16), "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "MLFLOW_AUTH_CONFIG_PATH": str(auth_config(folder))}  # fmt: skip
    dump: list[Exchange] = []
    lock = threading.Lock()

    def record(ex: Exchange) -> None:
        with lock:
            dump.append(ex)

    with MlflowServer(app_name="basic-auth", env=env) as server, Proxy(server.url, record=record) as proxy:
        print(f"\nbasic-auth server ready in {server.start_seconds:.1f} s")
        admin = ("admin", ADMIN_PASSWORD)
        r = requests.post(f"{server.url}/api/2.0/mlflow/users/create", auth=admin,
                          json={"username": "alice", "password": ALICE_PASSWORD})  # fmt: skip
        r.raise_for_status()
        exp = requests.post(f"{server.url}/api/2.0/mlflow/experiments/create", auth=admin,
                            json={"name": "admins-only"}).json()["experiment_id"]  # fmt: skip
        run = requests.post(f"{server.url}/api/2.0/mlflow/runs/create", auth=admin,
                            json={"experiment_id": exp}).json()["run"]["info"]["run_id"]  # fmt: skip
        fixtures = make_fixtures(folder / "fixtures")
        yield {"url": proxy.url, "dump": dump, "admin_run": run, "fixtures": str(fixtures)}
    shutil.rmtree(folder, ignore_errors=True)


def connect(driver: Driver, url: str, **credentials: Any) -> dict[str, Any]:
    answer = driver.call("connect", {"tracking_uri": url, **credentials})
    assert answer["ok"], answer
    return answer


def error_class(answer: dict[str, Any]) -> str | None:
    from tests.contract.runner.engine import family_class

    return None if answer.get("ok") else family_class(answer["error"].get("class"))


@pytest.mark.parametrize("lang", LANGS)
def test_basic_auth(auth_server: dict[str, Any], lang: str) -> None:
    driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": auth_server["url"]})
    answers: list[dict[str, Any]] = []
    cases: dict[str, bool] = {}
    try:
        answers.append(connect(driver, auth_server["url"], username="admin", password=ADMIN_PASSWORD))
        env = {"lang": f"{lang}-auth", "fixtures": auth_server["fixtures"]}
        failed = []
        for scenario in load_scenarios():
            outcomes = run_scenario(driver, scenario, dict(env))
            answers += [o.answer for o in outcomes if o.answer]
            failed += [f"{scenario['id']}/{o.step}: {o.problems}" for o in outcomes if o.problems]
            failed += ([f"{scenario['id']}: stopped early"] if len(outcomes) < len(scenario["steps"]) else [])
        cases["scenarios with correct credentials"] = not failed
        run = auth_server["admin_run"]
        answers.append(connect(driver, auth_server["url"], username="admin", password=WRONG_PASSWORD))
        answers.append(driver.call("getRun", {"run_id": run}))
        cases["wrong password -> UnauthenticatedError"] = error_class(answers[-1]) == "UnauthenticatedError"
        answers.append(connect(driver, auth_server["url"]))
        answers.append(driver.call("getRun", {"run_id": run}))
        cases["no credentials -> UnauthenticatedError"] = error_class(answers[-1]) == "UnauthenticatedError"
        answers.append(connect(driver, auth_server["url"], username="alice", password=ALICE_PASSWORD))
        answers.append(driver.call("getRun", {"run_id": run}))
        cases["READ user reads"] = bool(answers[-1].get("ok"))
        answers.append(driver.call("logParam", {"run_id": run, "key": "k", "value": "v"}))
        cases["READ user writes -> PermissionDeniedError"] = error_class(answers[-1]) == "PermissionDeniedError"
    finally:
        driver.close()
    text = repr(answers) + "".join(driver.stderr)
    leaks = [s for s in SECRETS if s in text]
    cases["no password in answers, reprs, messages or driver logs"] = not leaks
    REPORT[lang] = {"cases": cases, "failed": failed}
    assert all(cases.values()), {k: v for k, v in cases.items() if not v} | {"scenario failures": failed[:10]}


def test_traffic_dump_holds_no_secret(auth_server: dict[str, Any]) -> None:
    """What a recording proxy keeps (all but the Authorization header itself) carries no password."""
    dump = auth_server["dump"]
    assert dump, "the proxy recorded nothing"
    text = "\n".join(
        f"{e.method} {e.path}?{e.query} {e.request_body!r} {e.status} {e.response_body!r} "
        + repr({k: v for k, v in e.request_headers.items() if k.lower() != "authorization"})
        for e in dump
    )
    encoded = [base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in
               (("admin", ADMIN_PASSWORD), ("alice", ALICE_PASSWORD), ("admin", WRONG_PASSWORD))]  # fmt: skip
    leaks = [s for s in (*SECRETS, *encoded) if s in text]
    assert not leaks, f"{len(leaks)} secrets in the traffic dump"
    print(f"\ntraffic dump: {len(dump)} exchanges, no password in it")


# ---- TLS ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls_server() -> Iterator[dict[str, Any]]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlflowrest test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="mlflowrest-tls-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    with MlflowServer() as server, Proxy(server.url, ssl_context=context) as proxy:
        yield {"url": proxy.url, "ca": str(folder / "cert.pem")}
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("lang", LANGS)
def test_tls_verification(tls_server: dict[str, Any], lang: str) -> None:
    url = tls_server["url"]
    driver = Driver(lang, driver_command(lang), {**DRIVER_ENV, "MLFLOW_TRACKING_URI": url})
    try:
        connect(driver, url)
        refused = driver.call("searchExperiments", {"max_results": 1})
        connect(driver, url, server_cert_path=tls_server["ca"])
        with_ca = driver.call("searchExperiments", {"max_results": 1})
        connect(driver, url, insecure_tls=True)
        insecure = driver.call("searchExperiments", {"max_results": 1})
    finally:
        driver.close()
    cases = {
        "self-signed refused by default -> TransportError": error_class(refused) == "TransportError",
        "accepted with MLFLOW_TRACKING_SERVER_CERT_PATH": bool(with_ca.get("ok")),
        "accepted with MLFLOW_TRACKING_INSECURE_TLS": bool(insecure.get("ok")),
    }
    REPORT.setdefault(lang, {}).setdefault("tls", cases)
    message = refused.get("error", {}).get("message", "")
    assert all(cases.values()), (cases, refused, with_ca, insecure)
    assert "certificate" in message.lower() or "ssl" in message.lower() or "tls" in message.lower(), message


def test_zz_report() -> None:
    print("\nauthentication and TLS per language:")
    for lang, r in REPORT.items():
        cases = {**r.get("cases", {}), **r.get("tls", {})}
        print(f"  {lang}: {sum(cases.values())}/{len(cases)} auth and TLS cases passed")
        for name, ok in cases.items():
            print(f"    {'passed' if ok else 'FAILED'}  {name}")
    assert set(REPORT) == set(LANGS)
