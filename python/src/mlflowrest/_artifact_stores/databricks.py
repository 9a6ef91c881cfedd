"""`dbfs:/databricks/mlflow-tracking/...` with a Databricks tracking URI.

Databricks keeps these files in its own cloud storage and hands out short-lived signed URLs
through its artifact credential service (mlflow/protos/databricks_artifacts.proto, under
/api/2.0): credentials-for-write/-read for runs, credentials-for-upload/-download for logged
models, and the multipart calls for large files on S3. Listing is the ordinary
artifacts/list (runs) or logged-models/<id>/artifacts/directories. Credential answers may carry
headers that the PUT or GET must send."""

from __future__ import annotations

import base64
import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import requests

from mlflowrest import _exceptions as errors
from mlflowrest._artifact_stores import _signed
from mlflowrest._artifact_stores._base import ArtifactStore, FileInfo, join
from mlflowrest._artifact_stores._progress import FileBody
from mlflowrest._generated import models

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

PREFIX = "/api/2.0/mlflow/artifacts"  # named in errors about the credential service
MAX_PATHS_PER_REQUEST = 2000  # the credential service's limit per request
MiB = 1 << 20
Credential = models.ArtifactCredentialInfo


def _size(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def split_dbfs(uri: str) -> tuple[str, str, str]:
    """`dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts/<p>` -> ("run", run, p);
    `.../<exp>/logged_models/<id>/artifacts/<p>` -> ("logged_model", id, p)."""
    parts = [p for p in uri.removeprefix("dbfs:").split("/") if p]
    if len(parts) < 4 or parts[:2] != ["databricks", "mlflow-tracking"]:
        raise errors.InvalidParameterValueError(
            f"artifact URI {uri!r}: only dbfs:/databricks/mlflow-tracking/... locations are supported "
            "(other DBFS paths need the official client)", field="artifact_uri",
        )  # fmt: skip
    if parts[3] == "logged_models" and len(parts) >= 5:
        kind, owner, rest = "logged_model", parts[4], parts[5:]
    else:
        kind, owner, rest = "run", parts[3], parts[4:]
    if rest[:1] == ["artifacts"]:
        rest = rest[1:]
    return kind, owner, "/".join(rest)


class DatabricksStore(ArtifactStore):
    scheme = "dbfs"

    def __init__(self, client: MlflowClient, uri: str) -> None:
        super().__init__(uri)
        self._client = client
        self._transport = client._transport
        self.kind, self.owner, self.prefix = split_dbfs(uri)
        self.multipart_from = _size("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", 500 * MiB)
        self.part_size = _size("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", 10 * MiB)

    # ---- the credential service ---------------------------------------------------------------
    def _credentials(self, write: bool, paths: list[str]) -> list[models.ArtifactCredentialInfo]:
        """One credential per path, in order (asked for up to 2000 paths at a time; pages walked)."""
        api = self._client.databricks_artifacts
        found: list[models.ArtifactCredentialInfo] = []
        for i in range(0, len(paths), MAX_PATHS_PER_REQUEST):
            chunk = [join(self.prefix, p) for p in paths[i : i + MAX_PATHS_PER_REQUEST]]
            if self.kind == "run":
                ask = api.credentials_for_write if write else api.credentials_for_read
                found += list(ask(run_id=self.owner, path=chunk))
            else:
                ask_model = (
                    api.credentials_for_logged_model_upload if write else api.credentials_for_logged_model_download
                )
                found += [c.credential_info for c in ask_model(self.owner, paths=chunk) if c.credential_info]
        if len(found) != len(paths):
            raise errors.UnexpectedResponseError(
                f"asked for {len(paths)} artifact credentials, got {len(found)}", method="POST", path=PREFIX
            )
        return found

    # ---- the store ----------------------------------------------------------------------------
    def upload_file(self, src: Path, path: str, progress: bool | None) -> None:
        for _ in self.upload_files([(src, path)], progress):
            pass

    def upload_files(self, files: list[tuple[Path, str]], progress: bool | None) -> Iterator[str]:
        creds = self._credentials(True, [p for _, p in files])  # one request for a whole folder
        for (src, path), cred in zip(files, creds, strict=True):
            self._put(cred, src, path, progress)
            yield path

    def _put(self, cred: Credential, src: Path, path: str, progress: bool | None) -> None:
        kind = cred.type
        size = src.stat().st_size
        if kind == "AWS_PRESIGNED_URL" and size > self.multipart_from:
            return self._multipart(src, path, size, progress)
        if kind == "AZURE_SAS_URI":
            return self._azure_blocks(cred, src, path, size, progress)
        if kind == "AZURE_ADLS_GEN2_SAS_URI":
            return self._adls(cred, src, path, size, progress)
        if kind not in ("AWS_PRESIGNED_URL", "GCP_SIGNED_URL"):
            raise errors.UnexpectedResponseError(f"unknown credential type {kind!r} for {path}", path=PREFIX)
        with open(src, "rb") as fh:
            body: Any = FileBody.whole(fh, path, progress)
            _signed.send(self._transport, "PUT", _url(cred), path, _headers(cred), data=body)

    def _parts(self, fh: Any, size: int, path: str, progress: bool | None) -> Iterator[tuple[int, FileBody]]:
        for index in range(max(1, math.ceil(size / self.part_size))):
            start = index * self.part_size
            yield index + 1, FileBody(fh, start, min(self.part_size, size - start), path, progress)

    def _multipart(self, src: Path, path: str, size: int, progress: bool | None) -> None:
        """S3 multipart through presigned part URLs; parts are read from the file one at a time.
        For a logged model the service takes the model's id as `run_id`."""
        api = self._client.databricks_artifacts
        full = join(self.prefix, path)
        num = max(1, math.ceil(size / self.part_size))
        created = api.create_multipart_upload(run_id=self.owner, path=full, num_parts=num)
        upload_id = created.upload_id or ""
        etags = []
        try:
            with open(src, "rb") as fh:
                parts = zip(self._parts(fh, size, path, progress), created.upload_credential_infos or [], strict=True)
                for (number, body), cred in parts:
                    try:
                        answer = self._put_part(cred, path, body)
                    except (errors.UnauthenticatedError, errors.PermissionDeniedError):  # the URL expired
                        fresh = api.presigned_upload_part_url(
                            run_id=self.owner, path=full, upload_id=upload_id, part_number=number
                        ).upload_credential_info
                        answer = self._put_part(fresh, path, body)
                    etags.append(models.PartEtag(part_number=number, etag=answer.headers.get("ETag", "")))
            api.complete_multipart_upload(run_id=self.owner, path=full, upload_id=upload_id, part_etags=etags)
        except BaseException:
            abort = created.abort_credential_info
            if abort and abort.signed_uri:
                with contextlib.suppress(errors.MlflowError):  # the upload's own error is the one to report
                    _signed.send(self._transport, "DELETE", abort.signed_uri, path, _headers(abort))
            raise

    def _put_part(self, cred: Credential | None, path: str, body: FileBody) -> requests.Response:
        return _signed.send(self._transport, "PUT", _url(cred), path, _headers(cred), data=body)

    def _azure_blocks(self, cred: Credential, src: Path, path: str, size: int, progress: bool | None) -> None:
        url, headers = _url(cred), _headers(cred)
        ids = []
        with open(src, "rb") as fh:
            for number, body in self._parts(fh, size, path, progress):
                block = base64.b64encode(f"{number:08d}".encode()).decode()
                block_url = _with_query(url, f"comp=block&blockid={block}")
                _signed.send(self._transport, "PUT", block_url, path, headers, data=body)
                ids.append(block)
        xml = "<?xml version='1.0' encoding='utf-8'?><BlockList>" + "".join(
            f"<Latest>{escape(i)}</Latest>" for i in ids) + "</BlockList>"  # fmt: skip
        _signed.send(self._transport, "PUT", _with_query(url, "comp=blocklist"), path, headers, data=xml.encode())

    def _adls(self, cred: Credential, src: Path, path: str, size: int, progress: bool | None) -> None:
        url, headers = _url(cred), _headers(cred)
        _signed.send(self._transport, "PUT", _with_query(url, "resource=file"), path, headers)
        with open(src, "rb") as fh:
            for number, body in self._parts(fh, size, path, progress):
                position = (number - 1) * self.part_size
                _signed.send(self._transport, "PATCH", _with_query(url, f"action=append&position={position}"), path,
                             headers, data=body)  # fmt: skip
        _signed.send(self._transport, "PATCH", _with_query(url, f"action=flush&position={size}"), path, headers)

    def download_file(self, path: str, target: Path, progress: bool | None) -> None:
        # A folder's signed URL names no object: the store answers 404 and the caller lists it.
        cred = self._credentials(False, [path])[0]
        _signed.get_to_file(self._transport, _url(cred), path, _headers(cred), target, progress)

    def list(self, path: str) -> list[FileInfo]:
        full = join(self.prefix, path)
        entries: list[FileInfo] = []
        files: Iterable[models.FileInfo] = (
            self._client.artifacts.list(run_id=self.owner, path=full or None) if self.kind == "run"
            else self._client.logged_models.list_artifacts(self.owner, artifact_directory_path=full or None)
        )  # fmt: skip
        for f in files:
            rel = (f.path or "").removeprefix(self.prefix).lstrip("/") if self.prefix else (f.path or "")
            if rel == path and not f.is_dir:
                return []  # the path is a file: it has no entries
            entries.append(FileInfo(path=rel, is_dir=bool(f.is_dir), file_size=None if f.is_dir else f.file_size))
        return entries

    def delete(self, path: str) -> None:
        raise errors.InvalidParameterValueError(
            f"deleting {path!r}: Databricks' artifact service offers no delete (use the workspace UI)",
            field="path",
        )


def _url(cred: Credential | None) -> str:
    if cred is None or not cred.signed_uri:
        raise errors.UnexpectedResponseError("the credential service answered without a signed URL", path=PREFIX)
    return cred.signed_uri


def _headers(cred: Credential | None) -> dict[str, str]:
    return {h.name: h.value or "" for h in (cred.headers if cred else None) or [] if h.name}


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"
