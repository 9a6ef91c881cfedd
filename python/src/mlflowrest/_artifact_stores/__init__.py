"""Artifact stores, chosen by the scheme of a run's (or logged model's) artifact URI.

The table below is the whole dispatch: the Java and R SDKs use the same scheme names and raise
the same error for any other scheme (docs/design.md, "Where artifacts live")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlflowrest import _exceptions as errors
from mlflowrest._artifact_stores._base import ArtifactStore, FileInfo, join

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

# scheme -> what serves it; "" is a plain path.
SCHEMES: dict[str, str] = {
    "mlflow-artifacts": "the tracking server's proxied store",
    "s3": "S3 or an S3-compatible store (extra [s3])",
    "wasbs": "Azure Blob storage (extra [azure])",
    "wasb": "Azure Blob storage (extra [azure])",
    "abfss": "Azure Data Lake Gen2 through its Blob API (extra [azure])",
    "file": "a local or shared folder",
    "dbfs": "Databricks' artifact service (dbfs:/databricks/mlflow-tracking/...)",
}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def scheme_of(uri: str) -> str:
    match = _SCHEME.match(uri)
    # One letter before ":" is a Windows drive (C:\...), i.e. a plain path.
    return match.group(1).lower() if match and len(match.group(1)) > 1 else ""


def open_store(client: MlflowClient, uri: str) -> ArtifactStore:
    """The store rooted at `uri`; an unsupported scheme is an error naming it and the supported ones."""
    scheme = scheme_of(uri)
    if scheme == "mlflow-artifacts":
        from mlflowrest._artifact_stores.proxied import ProxiedStore

        return ProxiedStore(client, uri)
    if scheme == "s3":
        from mlflowrest._artifact_stores.s3 import S3Store

        return S3Store(client, uri)
    if scheme in ("wasbs", "wasb", "abfss"):
        from mlflowrest._artifact_stores.azure import AzureBlobStore

        return AzureBlobStore(client, uri)
    if scheme in ("file", ""):
        from mlflowrest._artifact_stores.local import LocalStore

        return LocalStore(uri)
    if scheme == "dbfs":
        from mlflowrest._artifact_stores.databricks import DatabricksStore

        return DatabricksStore(client, uri)
    raise errors.InvalidParameterValueError(
        f"artifact URI {uri!r}: scheme {scheme!r} is not supported; supported: "
        + ", ".join(f"{s}:" for s in SCHEMES) + " and plain paths",
        field="artifact_uri", limit="schemes=" + ",".join(SCHEMES),
    )  # fmt: skip


__all__ = ["SCHEMES", "ArtifactStore", "FileInfo", "join", "open_store", "scheme_of"]
