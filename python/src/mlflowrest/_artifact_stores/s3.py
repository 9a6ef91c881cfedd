"""`s3://bucket/prefix`: S3 and S3-compatible stores through boto3 (`pip install mlflowrest[s3]`).

MLflow's conventions: MLFLOW_S3_ENDPOINT_URL (path-style addressing there unless
MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE says otherwise), MLFLOW_S3_IGNORE_TLS,
MLFLOW_S3_UPLOAD_EXTRA_ARGS (JSON), and boto3's own AWS_* variables, profiles and
~/.aws/credentials. Uploads above boto3's multipart threshold (8 MB) go in parts, and both
directions stream through fixed-size buffers, so memory does not grow with the file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from mlflowrest import _exceptions as errors
from mlflowrest._artifact_stores._base import ArtifactStore, FileInfo, join, partial_file, storage_error
from mlflowrest._artifact_stores._extras import require

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

T = TypeVar("T")
_TRUE = {"1", "true", "yes", "on"}


def s3_client(client: MlflowClient, env: Mapping[str, str]) -> Any:
    boto3 = require("boto3", "s3", "s3://")
    from botocore.config import Config as BotoConfig

    endpoint = env.get("MLFLOW_S3_ENDPOINT_URL") or None
    style = env.get("MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
    config = BotoConfig(
        signature_version="s3v4",
        s3={"addressing_style": style},
        connect_timeout=client.config.timeout,
        read_timeout=client.config.timeout,
        retries={"max_attempts": client.config.max_retries + 1, "mode": "standard"},
    )
    verify = env.get("MLFLOW_S3_IGNORE_TLS", "").lower() not in _TRUE
    return boto3.session.Session().client("s3", endpoint_url=endpoint, verify=verify, config=config)


def split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if not parsed.netloc:
        raise errors.InvalidParameterValueError(f"artifact URI {uri!r} has no bucket", field="artifact_uri")
    return parsed.netloc, parsed.path.strip("/")


class S3Store(ArtifactStore):
    scheme = "s3"

    def __init__(self, client: MlflowClient, uri: str, env: Mapping[str, str] | None = None) -> None:
        super().__init__(uri)
        env = os.environ if env is None else env
        self.bucket, self.prefix = split_s3(uri)
        self._s3 = s3_client(client, env)
        raw = env.get("MLFLOW_S3_UPLOAD_EXTRA_ARGS") or "{}"
        try:
            self._extra = json.loads(raw)
        except ValueError:
            raise errors.InvalidParameterValueError(
                f"MLFLOW_S3_UPLOAD_EXTRA_ARGS is not JSON: {raw[:100]!r}", field="MLFLOW_S3_UPLOAD_EXTRA_ARGS"
            ) from None

    def _key(self, path: str) -> str:
        return join(self.prefix, path)

    def _call(self, method: str, path: str, fn: Callable[[], T]) -> T:
        """boto3's errors as the SDK's typed errors (it has already retried)."""
        import botocore.exceptions as bx

        where = f"s3://{self.bucket}/{self._key(path)}"
        try:
            return fn()
        except bx.ClientError as exc:
            info = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = str(info.get("Code") or "")
            if code in ("404", "NoSuchKey"):
                status = 404
            raise storage_error(status, code or None, str(info.get("Message") or code), method, where) from None
        except bx.NoCredentialsError:
            raise errors.UnauthenticatedError(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
                "or ~/.aws/credentials", method=method, path=where,
            ) from None  # fmt: skip
        except (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ReadTimeoutError,
                bx.ConnectTimeoutError) as exc:  # fmt: skip
            cls = errors.RequestTimeoutError if "Timeout" in type(exc).__name__ else errors.TransportError
            raise cls(f"{type(exc).__name__}: {exc}", method=method, path=where) from None

    def upload_file(self, src: Path, path: str, progress: bool | None) -> None:
        self._call("PUT", path, lambda: self._s3.upload_file(str(src), self.bucket, self._key(path),
                                                             ExtraArgs=self._extra or None))  # fmt: skip

    def download_file(self, path: str, target: Path, progress: bool | None) -> None:
        with partial_file(target) as fh:
            self._call("GET", path, lambda: self._s3.download_fileobj(self.bucket, self._key(path), fh))

    def list(self, path: str) -> list[FileInfo]:
        prefix = self._key(path) + "/" if self._key(path) else ""
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/")
        entries: list[FileInfo] = []
        for page in self._call("GET", path, lambda: list(pages)):
            for folder in page.get("CommonPrefixes") or []:
                name = folder["Prefix"][len(prefix) :].rstrip("/")
                entries.append(FileInfo(path=join(path, name), is_dir=True))
            for obj in page.get("Contents") or []:
                name = obj["Key"][len(prefix) :]
                if name:  # a folder marker object
                    entries.append(FileInfo(path=join(path, name), is_dir=False, file_size=obj["Size"]))
        return sorted(entries, key=lambda f: f.path or "")

    def delete(self, path: str) -> None:
        keys = [self._key(path)]
        folder = self._key(path) + "/"
        for page in self._call("GET", path, lambda: list(
                self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder))):  # fmt: skip
            keys += [obj["Key"] for obj in page.get("Contents") or []]
        for key in keys:
            self._call("DELETE", path, lambda k=key: self._s3.delete_object(Bucket=self.bucket, Key=k))  # type: ignore[misc]
