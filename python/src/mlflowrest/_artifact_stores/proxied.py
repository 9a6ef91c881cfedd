"""`mlflow-artifacts:` URIs: the tracking server's proxied artifact endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflowrest._artifact_stores._base import ArtifactStore, FileInfo, join, partial_file
from mlflowrest._artifact_stores._progress import CHUNK, Bar, FileBody

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient


def proxied_root(uri: str) -> str:
    """`mlflow-artifacts:/0/<run>/artifacts` (or with `//host:port`) -> `0/<run>/artifacts`.
    A host in the URI names the tracking server itself, which is the one this client talks to."""
    rest = uri.removeprefix("mlflow-artifacts:")
    if rest.startswith("//"):
        rest = rest[2:].split("/", 1)[1] if "/" in rest[2:] else ""
    return rest.strip("/")


class ProxiedStore(ArtifactStore):
    scheme = "mlflow-artifacts"

    def __init__(self, client: MlflowClient, uri: str) -> None:
        super().__init__(uri)
        self._api = client.mlflow_artifacts
        self.root = proxied_root(uri)

    def upload_file(self, src: Path, path: str, progress: bool | None) -> None:
        with open(src, "rb") as fh:
            body: Any = FileBody.whole(fh, path, progress)
            self._api.upload(join(self.root, path), body)

    def download_file(self, path: str, target: Path, progress: bool | None) -> None:
        response = self._api.download(join(self.root, path))
        bar = Bar(int(response.headers.get("Content-Length") or 0), path, progress)
        with response, partial_file(target) as fh:
            for block in response.iter_content(CHUNK):
                fh.write(block)
                bar.advance(len(block))
            bar.done()

    def list(self, path: str) -> list[FileInfo]:
        answer = self._api.list(path=join(self.root, path))
        return [f.model_copy(update={"path": join(path, f.path or "")}) for f in answer.files or []]

    def delete(self, path: str) -> None:
        self._api.delete(join(self.root, path))
