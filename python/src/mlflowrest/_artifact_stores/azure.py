"""`wasbs://container@account.blob.core.windows.net/path` (and `abfss://` on the same account,
which the Blob API serves too) through azure-storage-blob (`pip install mlflowrest[azure]`).

Credentials as MLflow reads them: AZURE_STORAGE_CONNECTION_STRING (which may also name the
endpoint, e.g. an emulator's), else AZURE_STORAGE_ACCESS_KEY for the URI's account. Large files
go up as blocks, several in flight, read from the file as they are sent."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlflowrest import _exceptions as errors
from mlflowrest._artifact_stores._base import ArtifactStore, FileInfo, join, partial_file, storage_error
from mlflowrest._artifact_stores._extras import require

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

T = TypeVar("T")
_URI = re.compile(
    r"^(?:wasbs?|abfss?)://(?P<container>[^@/]+)@(?P<account>[^./]+)\.(?:blob|dfs)\.(?P<suffix>[^/]+)/?(?P<path>.*)$"
)


def split_azure(uri: str) -> tuple[str, str, str, str]:
    """-> (container, account, endpoint suffix, path)."""
    match = _URI.match(uri)
    if not match:
        raise errors.InvalidParameterValueError(
            f"artifact URI {uri!r} is not wasbs://<container>@<account>.blob.<suffix>/<path> "
            "(or abfss://<container>@<account>.dfs.<suffix>/<path>)", field="artifact_uri",
        )  # fmt: skip
    return match["container"], match["account"], match["suffix"], match["path"].strip("/")


class AzureBlobStore(ArtifactStore):
    scheme = "wasbs"

    def __init__(self, client: MlflowClient, uri: str, env: Mapping[str, str] | None = None) -> None:
        super().__init__(uri)
        env = os.environ if env is None else env
        blob = require("azure.storage.blob", "azure", "wasbs:// and abfss://")
        container, account, suffix, self.prefix = split_azure(uri)
        options: dict[str, Any] = {
            "connection_timeout": client.config.timeout, "read_timeout": client.config.timeout,
            "retry_total": client.config.max_retries, "max_single_put_size": 8 << 20, "max_block_size": 8 << 20,
        }  # fmt: skip
        if env.get("AZURE_STORAGE_CONNECTION_STRING"):
            service = blob.BlobServiceClient.from_connection_string(env["AZURE_STORAGE_CONNECTION_STRING"], **options)
        elif env.get("AZURE_STORAGE_ACCESS_KEY"):
            url = f"https://{account}.blob.{suffix}"
            service = blob.BlobServiceClient(url, credential=env["AZURE_STORAGE_ACCESS_KEY"], **options)
        else:
            raise errors.UnauthenticatedError(
                f"{uri}: set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY to reach Azure Blob storage"
            )
        self._container = service.get_container_client(container)

    def _call(self, method: str, path: str, fn: Callable[[], T]) -> T:
        from azure.core import exceptions as ax

        where = f"{self.uri.split('@', 1)[0]}@.../{join(self.prefix, path)}"
        try:
            return fn()
        except ax.HttpResponseError as exc:  # also ClientAuthenticationError and ResourceNotFoundError
            status = exc.status_code or (403 if isinstance(exc, ax.ClientAuthenticationError) else None)
            code = getattr(exc, "error_code", None)
            raise storage_error(status, code, exc.reason or str(exc)[:200], method, where) from None
        except ax.ServiceResponseTimeoutError as exc:
            raise errors.RequestTimeoutError(str(exc)[:300], method=method, path=where) from None
        except (ax.ServiceRequestError, ax.ServiceResponseError) as exc:
            raise errors.TransportError(str(exc)[:300], method=method, path=where) from None

    def upload_file(self, src: Path, path: str, progress: bool | None) -> None:
        def put() -> None:
            with open(src, "rb") as fh:
                self._container.upload_blob(join(self.prefix, path), fh, length=src.stat().st_size,
                                            overwrite=True, max_concurrency=2)  # fmt: skip

        self._call("PUT", path, put)

    def download_file(self, path: str, target: Path, progress: bool | None) -> None:
        with partial_file(target) as fh:
            self._call("GET", path, lambda: self._container.download_blob(join(self.prefix, path),
                                                                         max_concurrency=2).readinto(fh))  # fmt: skip

    def list(self, path: str) -> list[FileInfo]:
        prefix = join(self.prefix, path) + "/" if join(self.prefix, path) else ""
        entries: list[FileInfo] = []
        for item in self._call("GET", path, lambda: list(self._container.walk_blobs(name_starts_with=prefix))):
            name = item.name[len(prefix) :]
            if name.endswith("/"):
                entries.append(FileInfo(path=join(path, name.rstrip("/")), is_dir=True))
            elif name:
                entries.append(FileInfo(path=join(path, name), is_dir=False, file_size=item.size))
        return sorted(entries, key=lambda f: f.path or "")

    def delete(self, path: str) -> None:
        key = join(self.prefix, path)
        listed = self._call("GET", path, lambda: list(self._container.list_blobs(name_starts_with=key + "/")))
        names = [b.name for b in listed]
        for name in names or [key]:
            self._call("DELETE", path, lambda n=name: self._container.delete_blob(n))  # type: ignore[misc]
