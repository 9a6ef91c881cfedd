"""Where the server is and how to reach it, read the way MLflow reads it (docs/design.md)."""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mlflowrest._exceptions import InvalidParameterValueError
from mlflowrest._generated import rules

# Names, variables, types, defaults and bounds: openapi/family-rules.yaml (config.variables).
VARIABLES: dict[str, dict[str, Any]] = {v["name"]: v for v in rules.CONFIG_VARIABLES}
DEFAULTS: dict[str, Any] = {name: v["default"] for name, v in VARIABLES.items() if v["default"] is not None}


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
    # How long one call keeps retrying the server's overload answers after max_retries are spent.
    overload_timeout: float = DEFAULTS["overload_timeout"]
    # Write slots shared with every process of this host writing to the same server (_host_slots.py).
    host_write_slots: int = int(DEFAULTS["host_write_slots"])
    # The longest the background logger's flush / end-of-run waits for queued points to be stored.
    flush_timeout: float = DEFAULTS["flush_timeout"]
    # The on-disk journal (docs/journal.md): writes are recorded there before they are sent.
    journal_dir: str | None = None
    journal_fsync: str = DEFAULTS["journal_fsync"]
    journal_fsync_interval: float = DEFAULTS["journal_fsync_interval"]
    journal_on_unreachable: str = DEFAULTS["journal_on_unreachable"]
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name, value in (("token", self.token), ("username", self.username), ("password", self.password)):
            if value is not None:
                check_header_value(value, name)
        for header, value in self.headers.items():
            check_header_value(value, f"headers[{header!r}]")

    @property
    def offline(self) -> bool:
        """offline:DIR: writes go to the journal in DIR only; nothing contacts a server."""
        return self.tracking_uri.startswith(OFFLINE)

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
        """Each setting from, highest first: an argument, MLflow's environment variable, (databricks
        URIs) the Databricks environment, then the profile, then the default (family-rules.yaml)."""
        env = os.environ if env is None else env
        uri = tracking_uri or env.get("MLFLOW_TRACKING_URI")
        if not uri:
            raise InvalidParameterValueError(
                "no tracking URI: pass tracking_uri or set MLFLOW_TRACKING_URI", field="tracking_uri"
            )
        values: dict[str, Any] = dict(DEFAULTS)
        sources: dict[str, str] = {}  # where each value came from, for error messages
        for name, var in VARIABLES.items():
            raw = env.get(var["env"])
            if name != "tracking_uri" and raw is not None and (raw != "" or var["type"] == "bool"):
                values[name] = parse_setting(name, raw, source=var["env"])
                sources[name] = var["env"]
        if uri.startswith(OFFLINE):
            values["journal_dir"] = _offline_dir(uri)
        elif uri == "databricks" or uri.startswith("databricks://"):
            uri, found = _databricks(uri, env)
            explicit = {name for name, var in VARIABLES.items() if env.get(var["env"])}
            values.update({k: v for k, v in found.items() if v is not None and k not in explicit})
        if not uri.startswith(OFFLINE):
            uri, userinfo = _split_userinfo(uri)
            values.update(userinfo)
            _check_uri(uri)
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(given)
        for name, value in values.items():
            check_bounds(name, value, source=name if name in given else sources.get(name, name))
            if VARIABLES.get(name, {}).get("type") == "enum":
                values[name] = str(value).lower()
        return replace(cls(tracking_uri=uri.rstrip("/")), **values)


def parse_setting(name: str, raw: str, *, source: str) -> Any:
    """A setting's text (an environment variable or profile value) as its type from family-rules.yaml."""
    kind = VARIABLES[name]["type"]
    if kind == "bool":
        if raw.strip().lower() in rules.TRUTHY:
            return True
        if raw.strip().lower() in rules.FALSY:
            return False
        spellings = "/".join(sorted(rules.TRUTHY | rules.FALSY - {""}))
        raise InvalidParameterValueError(
            f"{source}={raw!r} is not a boolean ({spellings})", field=source, limit=spellings
        )
    if kind == "enum":
        value = raw.strip().lower()
        if value not in VARIABLES[name]["values"]:
            allowed = "/".join(VARIABLES[name]["values"])
            raise InvalidParameterValueError(f"{source}={raw!r} is not one of {allowed}", field=source, limit=allowed)
        return value
    if kind in ("int", "float"):
        try:
            return int(raw) if kind == "int" else float(raw)
        except ValueError:
            raise InvalidParameterValueError(f"{source}={raw!r} is not an {kind}", field=source, limit=kind) from None
    return raw


def check_bounds(name: str, value: Any, *, source: str) -> None:
    var = VARIABLES.get(name)
    if var is not None and var["type"] == "enum" and isinstance(value, str):
        parse_setting(name, value, source=source)
        return
    if var is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if "min" in var and value < var["min"]:
        limit = f">= {var['min']}"
    elif "min_exclusive" in var and value <= var["min_exclusive"]:
        limit = f"> {var['min_exclusive']}"
    else:
        return
    raise InvalidParameterValueError(f"{source} must be {limit}, got {value}", field=source, limit=limit)


OFFLINE = rules.JOURNAL["offline_scheme"] + ":"


def _offline_dir(uri: str) -> str:
    """offline:DIR, offline:///abs/dir: the journal directory."""
    path = uri[len(OFFLINE) :]
    path = path[2:] if path.startswith("///") else path
    if not path:
        raise InvalidParameterValueError(f"tracking URI {uri!r} names no directory (offline:DIR)", field="tracking_uri")
    return path


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


def _split_userinfo(uri: str) -> tuple[str, dict[str, Any]]:
    """Credentials written into the URI move to basic auth, so the URI can be shown anywhere."""
    parsed = urlparse(uri)
    if not parsed.username and not parsed.password:
        return uri, {}
    host = parsed.netloc.rsplit("@", 1)[1]
    found = {"username": unquote(parsed.username or ""), "password": unquote(parsed.password or "")}
    return parsed._replace(netloc=host).geturl(), found


def _check_uri(uri: str) -> None:
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidParameterValueError(
            f"tracking URI {uri!r} is not http(s)://host[:port][/path] or databricks[://profile]",
            field="tracking_uri",
        )


def _databricks(uri: str, env: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """Each field from its DATABRICKS_* variable, else from the profile of ~/.databrickscfg (or
    DATABRICKS_CONFIG_FILE), as databricks-sdk reads them; a named profile must exist."""
    db = rules.DATABRICKS
    profile = uri.removeprefix("databricks").removeprefix("://") or db["default_profile"]
    cfg_path = Path(env.get(db["config_file_env"]) or Path(db["config_file_default"]).expanduser())
    section: Mapping[str, str] = {}
    if cfg_path.is_file():
        parser = configparser.ConfigParser()
        parser.read(cfg_path)
        if profile == db["default_profile"]:
            section = parser.defaults()
        elif parser.has_section(profile):
            section = parser[profile]
    if not section and profile != db["default_profile"]:
        raise InvalidParameterValueError(f"no profile {profile!r} in {cfg_path}", field="tracking_uri")
    found: dict[str, Any] = {}
    for var in db["variables"]:
        raw = env.get(var["env"]) or section.get(var["profile_key"])
        if raw:
            found[var["field"]] = (
                raw if var["field"] == "tracking_uri" else parse_setting(var["field"], raw, source=var["env"])
            )
    host = found.pop("tracking_uri", None)
    if not host:
        raise InvalidParameterValueError(
            f"databricks URI {uri!r}: no host in DATABRICKS_HOST or {cfg_path}", field="tracking_uri"
        )
    host = host if host.startswith("http") else f"https://{host}"
    return host, found
