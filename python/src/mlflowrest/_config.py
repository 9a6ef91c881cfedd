"""Where the server is and how to reach it, read the way MLflow reads it (docs/design.md)."""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse, urlunparse

from mlflowrest._exceptions import InvalidParameterValueError

# flush_timeout (MLFLOWREST_FLUSH_TIMEOUT) is kept here until the family's configuration table
# (openapi/, generated) lands; it then moves there with the other variables.
DEFAULTS = {"max_retries": 7, "backoff_factor": 0.5, "backoff_jitter": 1.0, "timeout": 120.0, "batch_concurrency": 2,
            "flush_timeout": 120.0}  # fmt: skip
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    tracking_uri: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    insecure_tls: bool = False
    server_cert_path: str | None = None
    client_cert_path: str | None = None
    client_key_path: str | None = None
    max_retries: int = int(DEFAULTS["max_retries"])
    backoff_factor: float = DEFAULTS["backoff_factor"]
    backoff_jitter: float = DEFAULTS["backoff_jitter"]
    timeout: float = DEFAULTS["timeout"]
    # Metric chunks of one log_batch in flight at once: the default multi-worker server stores
    # ~1.7x the points a second with two; 1 sends strictly one after another.
    batch_concurrency: int = int(DEFAULTS["batch_concurrency"])
    # The longest the background logger's flush / end-of-run waits for queued points to be stored.
    flush_timeout: float = DEFAULTS["flush_timeout"]
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name, value in (("token", self.token), ("username", self.username), ("password", self.password)):
            if value is not None:
                check_header_value(value, name)
        for header, value in self.headers.items():
            check_header_value(value, f"headers[{header!r}]")

    def __repr__(self) -> str:
        # Secrets are only ever shown as present or absent.
        auth = "token" if self.token else "basic" if self.username else "none"
        return (
            f"Config(tracking_uri={self.tracking_uri!r}, auth={auth}, insecure_tls={self.insecure_tls}, "
            f"max_retries={self.max_retries}, timeout={self.timeout})"
        )

    @classmethod
    def from_env(
        cls, tracking_uri: str | None = None, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> Config:
        env = os.environ if env is None else env
        uri = tracking_uri or env.get("MLFLOW_TRACKING_URI")
        if not uri:
            raise InvalidParameterValueError(
                "no tracking URI: pass tracking_uri or set MLFLOW_TRACKING_URI", field="tracking_uri"
            )
        values: dict[str, Any] = {
            "username": env.get("MLFLOW_TRACKING_USERNAME"),
            "password": env.get("MLFLOW_TRACKING_PASSWORD"),
            "token": env.get("MLFLOW_TRACKING_TOKEN"),
            "insecure_tls": env.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() in _TRUE,
            "server_cert_path": env.get("MLFLOW_TRACKING_SERVER_CERT_PATH"),
            "client_cert_path": env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH"),
            "max_retries": _number(env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES", int, DEFAULTS["max_retries"]),
            "backoff_factor": _number(env, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", float, DEFAULTS["backoff_factor"]),
            "backoff_jitter": _number(env, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", float, DEFAULTS["backoff_jitter"]),
            "timeout": _number(env, "MLFLOW_HTTP_REQUEST_TIMEOUT", float, DEFAULTS["timeout"]),
            "batch_concurrency": _number(env, "MLFLOWREST_BATCH_CONCURRENCY", int, DEFAULTS["batch_concurrency"]),
            "flush_timeout": _number(env, "MLFLOWREST_FLUSH_TIMEOUT", float, DEFAULTS["flush_timeout"]),
        }
        if uri == "databricks" or uri.startswith("databricks://"):
            uri, found = _databricks(uri, env)
            values.update({k: v for k, v in found.items() if v is not None})
        uri, in_uri = _credentials_of(uri)
        values.update(in_uri)
        _check_uri(uri)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(tracking_uri=uri.rstrip("/")), **values)


def _number(env: Mapping[str, str], name: str, kind: type, default: float) -> Any:
    raw = env.get(name)
    if raw is None or raw == "":
        return kind(default)
    try:
        return kind(raw)
    except ValueError:
        raise InvalidParameterValueError(f"{name}={raw!r} is not a {kind.__name__}", field=name) from None


_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what no HTTP header value may hold


def check_header_value(value: str, name: str) -> None:
    """A value bound for a header: refused before sending, and never echoed (it is a secret)."""
    if _UNSAFE.search(value) or value != value.strip():
        raise InvalidParameterValueError(
            f"{name} holds a control character or leading/trailing whitespace (a copied newline?), "
            "which no HTTP header may carry; its value is not shown",
            field=name,
        )
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidParameterValueError(
            f"{name} holds characters outside latin-1, which no HTTP header may carry; its value is not shown",
            field=name,
        ) from None


def _credentials_of(uri: str) -> tuple[str, dict[str, str]]:
    """http://user:pass@host moves into basic auth: the URI itself is shown in reprs and URLs."""
    parsed = urlparse(uri)
    if parsed.username is None and parsed.password is None:
        return uri, {}
    host = parsed.netloc.rpartition("@")[2]
    found = {"username": unquote(parsed.username or ""), "password": unquote(parsed.password or "")}
    return urlunparse(parsed._replace(netloc=host)), found


def _check_uri(uri: str) -> None:
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidParameterValueError(
            f"tracking URI {uri!r} is not http(s)://host[:port][/path] or databricks[://profile]",
            field="tracking_uri",
        )


def _databricks(uri: str, env: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """A profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE), else DATABRICKS_HOST / _TOKEN."""
    profile = uri.removeprefix("databricks").removeprefix("://") or "DEFAULT"
    cfg_path = Path(env.get("DATABRICKS_CONFIG_FILE") or Path.home() / ".databrickscfg")
    section: Mapping[str, str] = {}
    if cfg_path.is_file():
        parser = configparser.ConfigParser()
        parser.read(cfg_path)
        if profile == "DEFAULT":
            section = parser.defaults()
        elif parser.has_section(profile):
            section = parser[profile]
    if not section and profile != "DEFAULT":
        raise InvalidParameterValueError(f"no profile {profile!r} in {cfg_path}", field="tracking_uri")
    host = section.get("host") or env.get("DATABRICKS_HOST")
    if not host:
        raise InvalidParameterValueError(
            f"databricks URI {uri!r}: no host in {cfg_path} or DATABRICKS_HOST", field="tracking_uri"
        )
    found = {
        "token": section.get("token") or env.get("DATABRICKS_TOKEN"),
        "username": section.get("username") or env.get("DATABRICKS_USERNAME"),
        "password": section.get("password") or env.get("DATABRICKS_PASSWORD"),
        "insecure_tls": (section.get("insecure") or env.get("DATABRICKS_INSECURE", "")).lower() in _TRUE or None,
    }
    host = host if host.startswith("http") else f"https://{host}"
    return host, found
