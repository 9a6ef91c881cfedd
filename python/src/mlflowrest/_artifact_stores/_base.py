"""What every artifact store does, whatever keeps the files (docs/design.md, "Artifacts")."""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from mlflowrest import _exceptions as errors
from mlflowrest._generated import models

FileInfo = models.ArtifactsFileInfo


class ArtifactStore(ABC):
    """Files under one root URI (a run's or a logged model's artifact_uri).

    Every path given to or returned by a store is relative to that root and uses `/`."""

    scheme: str = ""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"

    @abstractmethod
    def upload_file(self, src: Path, path: str, progress: bool | None) -> None:
        """Store the local file `src` at `path`, streamed: memory does not grow with its size."""

    def upload_files(self, files: list[tuple[Path, str]], progress: bool | None) -> Iterator[str]:
        """Store each (local file, path) in order, yielding each path once it is stored."""
        for src, path in files:
            self.upload_file(src, path, progress)
            yield path

    @abstractmethod
    def download_file(self, path: str, target: Path, progress: bool | None) -> None:
        """Write the file at `path` to `target` (never half-written under that name).
        A path that is not a file raises ApiError (ResourceDoesNotExistError when absent)."""

    @abstractmethod
    def list(self, path: str) -> list[FileInfo]:
        """Entries directly under the folder `path`, each named relative to the root."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove the file or folder at `path`."""


def join(*parts: str) -> str:
    """Relative store paths joined with `/`, empty parts dropped ("" is the root)."""
    joined = str(PurePosixPath(*[p for p in parts if p]))
    return "" if joined == "." else joined


@contextlib.contextmanager
def partial_file(target: Path) -> Iterator[IO[bytes]]:
    """Write to `<target>.part` and rename it to `target` only once complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with open(partial, "wb") as fh:
            yield fh
        partial.replace(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)


def not_found(uri: str, path: str) -> errors.ResourceDoesNotExistError:
    return errors.ResourceDoesNotExistError(
        f"no artifact {path!r} under {uri}", http_status=404, error_code="RESOURCE_DOES_NOT_EXIST"
    )


def storage_error(status: int | None, code: str | None, message: str, method: str, where: str) -> errors.ApiError:
    """An answer of a storage service (S3, Azure, a signed URL) as the SDK's typed error."""
    cls = errors.error_class(None, status) if status else errors.ApiError
    if status == 404:
        code = "RESOURCE_DOES_NOT_EXIST"
    return cls(message, http_status=status, error_code=code, method=method, path=where)
