"""The one place that talks HTTP: URL, auth, timeouts, retries, error mapping."""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import logging
import random
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import pydantic
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from mlflowrest import _exceptions as errors
from mlflowrest._config import Config, check_header_value
from mlflowrest._congestion import WriteLimit
from mlflowrest._generated import rules
from mlflowrest._host_slots import host_slots
from mlflowrest._operation import Operation
from mlflowrest._types import Model

if TYPE_CHECKING:
    from mlflowrest._journal._recorder import Journal

log = logging.getLogger("mlflowrest")

MAX_RETRY_AFTER = rules.MAX_RETRY_AFTER_SECONDS
USER_AGENT = "mlflowrest-python/0.1.0"
HEADER_PROVIDERS_GROUP = "mlflowrest.request_header_providers"

# The default multi-worker server leaves Nagle on and writes headers and body in two sends, so a
# kept-alive client that delays its ACK waits ~40 ms per request. Linux drops TCP_QUICKACK after
# a while, so it is set again after every request is sent, right before the answer is read.
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def _quickack(sock: Any) -> None:
    if _QUICKACK is not None and sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


class _OneSendMixin:
    """Headers and a small body leave in one send(): split, the body waits on the server's
    delayed ACK just as the answer waits on ours. Then quick ACKs before reading the answer."""

    _pending: list[bytes] | None = None  # not _buffer: http.client uses that name

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any) -> None:
        coalesce = body is None or (isinstance(body, bytes) and len(body) <= 65536)
        self._pending = [] if coalesce else None
        try:
            super().request(method, url, body=body, headers=headers, **kw)  # type: ignore[misc]
        finally:
            buffered, self._pending = self._pending, None
            if buffered:
                _quickack(getattr(self, "sock", None))
                super().send(b"".join(buffered))  # type: ignore[misc]

    def send(self, data: Any) -> None:
        if self._pending is not None and isinstance(data, bytes):
            self._pending.append(data)
        else:
            super().send(data)  # type: ignore[misc]

    def getresponse(self) -> Any:
        _quickack(getattr(self, "sock", None))
        return super().getresponse()  # type: ignore[misc]


class _QuickAckHTTPConnection(_OneSendMixin, HTTPConnection):
    pass


class _QuickAckHTTPSConnection(_OneSendMixin, HTTPSConnection):
    pass


class _QuickAckHTTPPool(HTTPConnectionPool):
    ConnectionCls = _QuickAckHTTPConnection


class _QuickAckHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _QuickAckHTTPSConnection


class _QuickAckAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _QuickAckHTTPPool, "https": _QuickAckHTTPSPool}
        self.poolmanager.key_fn_by_scheme = dict(self.poolmanager.key_fn_by_scheme)


Recover = Callable[[], Any]


class _Recovered:
    """What a create's recover hook found: the entity an earlier, unanswered try created."""

    def __init__(self, value: Any) -> None:
        self.value = value


class Transport:
    def __init__(self, config: Config, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()
        adapter = _QuickAckAdapter(pool_connections=4, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        # Passed with every request: requests lets REQUESTS_CA_BUNDLE override a session's setting.
        self._verify: bool | str = False if config.insecure_tls else config.server_cert_path or True
        if config.insecure_tls:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the user asked for it
        if config.client_cert_path:
            self.session.cert = (
                (config.client_cert_path, config.client_key_path) if config.client_key_path else config.client_cert_path
            )
        self._providers = header_providers()
        # Writes in flight across the client's threads, adapted to overload (_congestion.py).
        # ... and the write slots of every process of this host writing to this server (_host_slots.py).
        self.write_limit = WriteLimit(
            config.batch_concurrency,
            None if config.offline else host_slots(config.tracking_uri),
            config.host_write_slots,
        )
        self.sleep: Callable[[float], None] = time.sleep
        # Set by the client when configured: writes are recorded before they are sent (docs/journal.md).
        self.journal: Journal | None = None

    def close(self) -> None:
        self.session.close()

    # ---- one call -----------------------------------------------------------------------------
    def call(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        values: Mapping[str, Any],
        *,
        data: Any = None,
        timeout: float | None = None,
        recover: Recover | None = None,
        stream: bool = False,
    ) -> Any:
        path = _fill_path(op, path_params)
        params, body = _encode(op, values)
        journal = self.journal
        if journal is not None:
            from mlflowrest._journal._recorder import is_write

            if is_write(op) and op.body_kind == "json":
                return journal.call(op, path, body or {}, lambda sent: self._exchange(
                    op, path, params, sent, data, timeout, recover, stream))  # fmt: skip
            if self.config.offline:
                raise errors.JournalError(
                    f"{op.operation_id} needs a server: the client is offline (journal {self.config.journal_dir}); "
                    "sync the journal first (python -m mlflowrest sync DIR), then read from the server"
                )
        return self._exchange(op, path, params, body, data, timeout, recover, stream)

    def _exchange(
        self, op: Operation, path: str, params: Any, body: Any, data: Any, timeout: float | None,
        recover: Recover | None, stream: bool,
    ) -> Any:  # fmt: skip
        response = self.send(
            op.method, self.config.tracking_uri + path, op.path, params=params, json_body=body, data=data,
            timeout=timeout, retry_writes=op.retry_safety == "safe", recover=recover, stream=stream,
        )  # fmt: skip
        if isinstance(response, _Recovered):
            return response.value
        if stream or op.response_kind == "binary":
            return response
        if op.response_kind == "empty" or op.response_model is None:
            return None
        return _decode(op, response)

    def send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        data: Any = None,
        timeout: float | None = None,
        retry_writes: bool = True,
        recover: Recover | None = None,
        stream: bool = False,
        signed_headers: Mapping[str, str] | None = None,
    ) -> requests.Response | _Recovered:
        """Send with the retry policy of docs/design.md; raise the typed error on failure.

        signed_headers: the request goes to a storage service's signed URL, not the tracking
        server, so it carries only these headers: never the tracking server's credentials."""
        cfg = self.config
        verify: bool | str = True if signed_headers is not None else self._verify
        headers = dict(signed_headers) if signed_headers is not None else self._headers(json_body is not None)
        payload = json.dumps(json_body, allow_nan=False).encode() if json_body is not None else data
        attempt = 0
        ambiguous = False  # an earlier try may have reached the server
        started, waited = time.monotonic(), 0.0
        while True:
            if ambiguous and recover is not None:
                found = recover()
                if found is not None:
                    return _Recovered(found)
            _rewind(payload)
            try:
                response = self.session.request(
                    method, url, params=params, data=payload, headers=headers,
                    timeout=timeout or cfg.timeout, stream=stream, verify=verify, allow_redirects=False,
                )  # fmt: skip
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure: errors.MlflowError = _transport_error(exc, method, path)
                ambiguous = ambiguous or (not isinstance(exc, requests.ConnectTimeout) and not _refused(exc))
                wait, busy = None, False
            else:
                if response.status_code < rules.ERROR_FROM_STATUS:
                    return response
                failure = _api_error(response, method, path)
                if not retryable(failure):
                    raise failure
                signature = _overload_signature(failure)
                if signature is not None:
                    self.write_limit.overloaded()
                busy = signature is not None and signature[3]  # the server says it is busy: time-bounded
                ambiguous = ambiguous or response.status_code not in rules.UNAMBIGUOUS_STATUSES
                wait = _retry_after(response)
            if (
                out_of_retries(attempt, cfg, busy, max(time.monotonic() - started, waited))
                or not _replayable(payload)
                or (ambiguous and not retry_writes and not recover)
            ):
                raise failure
            delay = wait if wait is not None else min(cfg.backoff_factor * 2**attempt, rules.MAX_BACKOFF_SECONDS)
            delay += random.uniform(0, cfg.backoff_jitter) if wait is None else 0.0
            log.info("retrying %s %s in %.2fs after %s (retry %d/%d)", method, path, delay, failure, attempt + 1,
                     cfg.max_retries)  # fmt: skip
            self.sleep(delay)
            waited += delay
            attempt += 1

    def _headers(self, has_json: bool) -> dict[str, str]:
        headers = client_headers(self.config, self._providers)
        if has_json:
            headers["Content-Type"] = "application/json"
        return headers


# ---- helpers --------------------------------------------------------------------------------------
def client_headers(config: Config, providers: Iterable[Any]) -> dict[str, str]:
    """The headers every request carries: the config's own, the plugins', then Authorization.
    The official client's header plugin (mlflowrest.plugins.request_headers) sends the same."""
    headers = dict(config.headers)
    for provider in providers:
        try:
            if provider.in_context():
                headers.update(provider.request_headers())
        except Exception as exc:  # a broken plugin must not break logging
            log.warning("request header provider %r failed: %s", type(provider).__name__, exc)
    for name, value in headers.items():
        check_header_value(value, f"header {name!r}")
    auth = _auth_header(config)
    if auth:
        headers["Authorization"] = auth
    return headers


def _auth_header(config: Config) -> str | None:
    # Basic wins when both are set, as in MLflow's rest_utils (family-rules.yaml, decisions).
    if config.username and config.password is not None:
        return "Basic " + base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
    if config.token:
        return f"Bearer {config.token}"
    return None


def out_of_retries(attempt: int, cfg: Config, overloaded: bool, spent: float) -> bool:
    """Retries are spent; an overload answer is retried on until overload_timeout has passed
    since the first try (family-rules.yaml, retry.overload), unless retries are off (0: a probe,
    or the user's choice). spent: seconds since the first try."""
    busy = overloaded and cfg.max_retries > 0 and spent < cfg.overload_timeout
    return attempt >= cfg.max_retries and not busy


def retryable(error: errors.ApiError) -> bool:
    """A retried status, or an overload answer whatever its status (family-rules.yaml, retry)."""
    return error.http_status in rules.RETRY_STATUSES or overload(error)


def overload(error: errors.ApiError) -> bool:
    """The server (or a proxy in front of it) refused for load: family-rules.yaml, retry.overload."""
    return _overload_signature(error) is not None


def _overload_signature(error: errors.ApiError) -> tuple[int | None, str | None, str | None, bool] | None:
    text = error.message or ""
    return next(
        (
            signature
            for signature in rules.OVERLOAD
            if (signature[0] is None or signature[0] == error.http_status)
            and (signature[1] is None or signature[1] == error.error_code)
            and (signature[2] is None or signature[2] in text)
        ),
        None,
    )


def header_providers() -> list[Any]:
    providers = []
    for ep in entry_points(group=HEADER_PROVIDERS_GROUP):
        try:
            providers.append(ep.load()())
        except Exception as exc:
            log.warning("cannot load request header provider %s: %s", ep.name, exc)
    return providers


def _fill_path(op: Operation, path_params: Mapping[str, str]) -> str:
    path = op.path
    for name in op.path_params:
        value = path_params.get(name)
        if not value:
            raise errors.InvalidParameterValueError(f"{name} is required", field=name)
        path = path.replace("{" + name + "}", quote(str(value), safe="/" if name == "artifact_path" else ""))
    return path


def _encode(op: Operation, values: Mapping[str, Any]) -> tuple[Any, Any]:
    """Query parameters for GET, a validated JSON body otherwise."""
    present = {k: v for k, v in values.items() if v is not None}
    if op.body_kind == "json" and op.body_model is not None:
        try:
            model = op.body_model.model_validate(present)
        except pydantic.ValidationError as exc:
            raise _validation_error(exc, op) from None
        return None, model.model_dump(mode="json", exclude_none=True, by_alias=True)
    params: list[tuple[str, str]] = []
    for key, value in present.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Model):
                item = item.model_dump_json(exclude_none=True)
            elif isinstance(item, bool):
                item = "true" if item else "false"
            params.append((key, str(item)))
    return (params or None), None


def _validation_error(exc: pydantic.ValidationError, op: Operation) -> errors.InvalidParameterValueError:
    from mlflowrest._validation import from_pydantic  # loads the models: only on the error path

    return from_pydantic(exc, method=op.method, path=op.path)


def _decode(op: Operation, response: requests.Response) -> Any:
    assert op.response_model is not None
    try:
        body = response.json()
        return op.response_model.model_validate(body)
    except (ValueError, pydantic.ValidationError) as exc:
        snippet = response.text[:200]
        raise errors.UnexpectedResponseError(
            f"expected JSON {op.response_model.__name__}, got {response.headers.get('Content-Type', 'no content type')}"
            f": {snippet!r} ({type(exc).__name__})",
            http_status=response.status_code, method=op.method, path=op.path,
        ) from None  # fmt: skip


def _api_error(response: requests.Response, method: str, path: str) -> errors.ApiError:
    code, message, body = None, None, None
    try:
        body = response.json()
        if isinstance(body, dict):
            code, message = body.get("error_code"), body.get("message")
    except ValueError:
        body = None
    if message is None:
        text = " ".join(re.sub(r"<[^>]*>", " ", response.text).split())[: rules.MESSAGE_TEXT_LIMIT]
        message = text or f"HTTP {response.status_code}"
        if 300 <= response.status_code < 400 and response.headers.get("Location"):
            message = f"redirected to {response.headers['Location'].split('?')[0]} (not followed): {message}"
    cls = errors.error_class(code, response.status_code)
    return cls(str(message), http_status=response.status_code, error_code=code, method=method, path=path, body=body)


def _transport_error(exc: Exception, method: str, path: str) -> errors.TransportError:
    cls = errors.RequestTimeoutError if isinstance(exc, requests.Timeout) else errors.TransportError
    reason = type(exc).__name__
    inner = exc.args[0] if exc.args else exc
    text = str(getattr(inner, "reason", inner))
    # urllib3's text repeats the URL; keep the cause, never credentials (the URL has none).
    return cls(f"{reason}: {text[:300]}", method=method, path=path)


def _refused(exc: Exception) -> bool:
    """A refused connection never reached the server: always safe to retry."""
    text = str(exc)
    return "Connection refused" in text or "NewConnectionError" in text


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        seconds = parsed.timestamp() - time.time() if parsed else 0.0
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def _replayable(payload: Any) -> bool:
    if payload is None or isinstance(payload, (bytes, str)):
        return True
    return bool(hasattr(payload, "seek") and getattr(payload, "seekable", lambda: False)())


def _rewind(payload: Any) -> None:
    if hasattr(payload, "seek") and _replayable(payload):
        payload.seek(0)


BinaryPayload = bytes | IO[bytes] | Iterable[bytes]
