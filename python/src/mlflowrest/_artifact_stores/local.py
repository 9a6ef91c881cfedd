"""`file:` URIs and plain paths: a folder every client machine sees (a shared mount, or this machine)."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

from mlflowrest import _exceptions as errors
from mlflowrest._artifact_stores._base import ArtifactStore, FileInfo, join, not_found, partial_file
from mlflowrest._artifact_stores._progress import CHUNK


def local_root(uri: str) -> Path:
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise errors.InvalidParameterValueError(
                f"artifact URI {uri!r} names host {parsed.netloc!r}; file: URIs must be local (file:///path)",
                field="artifact_uri",
            )
        return Path(unquote(parsed.path))
    return Path(uri)


class LocalStore(ArtifactStore):
    scheme = "file"

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.root = local_root(uri)

    def _local(self, path: str) -> Path:
        return self.root.joinpath(*path.split("/")) if path else self.root

    def upload_file(self, src: Path, path: str, progress: bool | None) -> None:
        target = self._local(path)
        with open(src, "rb") as fh, partial_file(target) as out:
            shutil.copyfileobj(fh, out, CHUNK)

    def download_file(self, path: str, target: Path, progress: bool | None) -> None:
        source = self._local(path)
        if source.is_dir():
            raise errors.InvalidParameterValueError(f"{path!r} is a folder, not a file", field="path")
        if not source.is_file():
            raise not_found(self.uri, path)
        with open(source, "rb") as fh, partial_file(target) as out:
            shutil.copyfileobj(fh, out, CHUNK)

    def list(self, path: str) -> list[FileInfo]:
        folder = self._local(path)
        if not folder.is_dir():
            return []
        return [
            FileInfo(path=join(path, e.name), is_dir=e.is_dir(), file_size=None if e.is_dir() else e.stat().st_size)
            for e in sorted(folder.iterdir())
        ]

    def delete(self, path: str) -> None:
        target = self._local(path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            raise not_found(self.uri, path)
