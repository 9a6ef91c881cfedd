"""PUT and GET on the short-lived signed URLs a credential service hands out.

They go through the transport (its timeout and retry policy) but carry only the headers the
credential gave: never the tracking server's token. A signed URL is itself a secret, so errors
name the artifact path, not the URL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from mlflowrest import _exceptions as errors
from mlflowrest._artifact_stores._base import partial_file, storage_error
from mlflowrest._artifact_stores._progress import CHUNK, Bar, FileBody

if TYPE_CHECKING:
    from mlflowrest._transport import Transport

_XML_CODE = re.compile(r"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def send(
    transport: Transport, method: str, url: str, label: str, headers: dict[str, str], **kw: Any
) -> requests.Response:
    if isinstance(kw.get("data"), FileBody) and kw["data"].len == 0:
        kw["data"] = b""  # requests sends an empty stream chunked; signed S3 URLs need Content-Length
    try:
        response = transport.send(method, url, f"signed URL for {label}", signed_headers=headers, **kw)
    except errors.ApiError as exc:
        raise _storage_answer(exc) from None
    assert isinstance(response, requests.Response)
    return response


def _storage_answer(exc: errors.ApiError) -> errors.ApiError:
    """A store's XML error (S3, GCS, Azure all answer `<Code>..</Code><Message>..</Message>`) as
    the typed error, a missing object as RESOURCE_DOES_NOT_EXIST like every other store."""
    text = exc.message or ""
    code = _XML_CODE.search(text)
    message = _XML_MESSAGE.search(text)
    return storage_error(exc.http_status, exc.error_code or (code.group(1) if code else None),
                         message.group(1) if message else text, exc.method or "", exc.path or "")  # fmt: skip


def get_to_file(transport: Transport, url: str, label: str, headers: dict[str, str], target: Path,
                progress: bool | None) -> None:  # fmt: skip
    """Stream a signed GET to `target`. A connection lost mid-body resumes with a Range request
    (bounded by the transport's retry count), so a 1 GB download survives a reset."""
    written, attempts = 0, 0
    with partial_file(target) as fh:
        while True:
            ranged = {**headers, "Range": f"bytes={written}-"} if written else headers
            response = send(transport, "GET", url, label, ranged, stream=True)
            with response:
                if written and response.status_code != 206:  # the store ignored Range: start over
                    fh.seek(0)
                    fh.truncate()
                    written = 0
                bar = Bar(int(response.headers.get("Content-Length") or 0), label, progress)
                try:
                    for block in response.iter_content(CHUNK):
                        fh.write(block)
                        written += len(block)
                        bar.advance(len(block))
                    bar.done()
                    return
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                    attempts += 1
                    if attempts > transport.config.max_retries:
                        raise errors.TransportError(
                            f"download of {label} broke off after {written} bytes: {type(exc).__name__}",
                            method="GET",
                            path=f"signed URL for {label}",
                        ) from None
