from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from mlflowrest._exceptions import ApiError, InvalidParameterValueError
from mlflowrest._generated import models
from mlflowrest._generated.resources import ArtifactsResource as _Generated

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

CHUNK = 1 << 20
PROGRESS_FROM_BYTES = 32 << 20


class ArtifactsResource(_Generated):
    """Run artifacts through the server's proxied artifact store, streamed both ways."""

    def __init__(self, client: MlflowClient) -> None:
        super().__init__(client)
        self._roots: dict[str, str] = {}

    def root(self, run_id: str) -> str:
        """The run's folder in the proxied store: its artifact_uri without `mlflow-artifacts:/`.

        A run's artifact_uri never changes, so it is looked up once per run, not once per file
        (a folder download would otherwise fetch the run again at every level)."""
        if run_id not in self._roots:
            self._roots[run_id] = self._lookup_root(run_id)
        return self._roots[run_id]

    def _lookup_root(self, run_id: str) -> str:
        run = self._client.runs.get(run_id=run_id).run
        uri = run.info.artifact_uri if run and run.info else None
        if not uri or not uri.startswith("mlflow-artifacts:"):
            raise InvalidParameterValueError(
                f"run {run_id} stores artifacts at {uri!r}, not in the server's proxied store "
                "(start the server with --serve-artifacts)",
                field="artifact_uri",
            )
        rest = uri.removeprefix("mlflow-artifacts:")
        if rest.startswith("//"):
            rest = rest[2:].split("/", 1)[1] if "/" in rest[2:] else ""
        return rest.strip("/")

    def upload(self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None,
               *, progress: bool | None = None) -> list[str]:  # fmt: skip
        """Upload a file, or a folder recursively, under `artifact_path`; returns the stored paths."""
        local = Path(local_path)
        if not local.exists():
            raise InvalidParameterValueError(f"no such file or folder: {local}", field="local_path")
        root = self.root(run_id)
        target = PurePosixPath(root, artifact_path or "")
        files = [(local, target / local.name)] if local.is_file() else [
            (f, target / PurePosixPath(*f.relative_to(local).parts)) for f in sorted(local.rglob("*")) if f.is_file()
        ]  # fmt: skip
        for src, dst in files:  # every name checked before the first byte is sent
            try:
                str(dst).encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidParameterValueError(
                    f"cannot upload {os.fsencode(src)!r}: artifact paths are UTF-8 text and this name is not UTF-8",
                    field="local_path",
                ) from None
        stored = []
        for src, dst in files:
            with open(src, "rb") as fh:
                body: Any = _Progress(fh, src.stat().st_size, str(dst), progress)
                self._client.mlflow_artifacts.upload(str(dst), body)
            stored.append(str(dst.relative_to(root)))
        return stored

    def list_files(self, run_id: str, path: str | None = None) -> list[models.ArtifactsFileInfo]:
        """Entries directly under `path`, each named relative to the run's artifact root (as MLflow's
        own clients name them: listing "data" gives "data/a.txt")."""
        root = self.root(run_id)
        answer = self._client.mlflow_artifacts.list(path=str(PurePosixPath(root, path or "")))
        return [
            f.model_copy(update={"path": str(PurePosixPath(path, f.path or "")) if path else f.path})
            for f in answer.files or []
        ]

    def download(self, run_id: str, path: str, dst: str | os.PathLike[str],
                 *, progress: bool | None = None) -> Path:  # fmt: skip
        """Download a file or folder to `dst` (a folder); returns the local path written.

        A file is asked for directly: one request, as a plain HTTP client would. Only when the
        server answers that the path is not a file is it listed as a folder."""
        root = self.root(run_id)
        out = Path(dst)
        out.mkdir(parents=True, exist_ok=True)
        if not path:  # the run's root is always a folder
            return self._download_folder(root, "", out, progress)
        try:
            return self._download_file(root, path, out / PurePosixPath(path).name, progress)
        except ApiError as exc:  # a folder (400 here), or missing: the listing tells which
            if not self._client.mlflow_artifacts.list(path=str(PurePosixPath(root, path))).files:
                raise exc from None
        return self._download_folder(root, path, out / PurePosixPath(path).name, progress)

    def _download_folder(self, root: str, path: str, folder: Path, progress: bool | None) -> Path:
        entries = self._client.mlflow_artifacts.list(path=str(PurePosixPath(root, path))).files or []
        for entry in entries:
            rel = str(PurePosixPath(path, entry.path or ""))
            target = folder / PurePosixPath(entry.path or "").name
            if entry.is_dir:
                self._download_folder(root, rel, target, progress)
            else:
                self._download_file(root, rel, target, progress)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def delete_file(self, run_id: str, path: str) -> None:
        root = self.root(run_id)
        self._client.mlflow_artifacts.delete(str(PurePosixPath(root, path)))

    def _download_file(self, root: str, path: str, target: Path, progress: bool | None) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        response = self._client.mlflow_artifacts.download(str(PurePosixPath(root, path)))
        total = int(response.headers.get("Content-Length") or 0)
        partial = target.with_name(target.name + ".part")
        with response, open(partial, "wb") as fh:
            bar = _Bar(total, str(path), progress)
            for block in response.iter_content(CHUNK):
                fh.write(block)
                bar.advance(len(block))
            bar.done()
        partial.replace(target)  # never leave a half-written file under the real name
        return target


class _Bar:
    """A one-line progress bar on stderr for large transfers (on by default in a terminal)."""

    def __init__(self, total: int, label: str, enabled: bool | None) -> None:
        self.total, self.label, self.sent = total, label, 0
        self.enabled = (sys.stderr.isatty() if enabled is None else enabled) and total >= PROGRESS_FROM_BYTES
        self.shown = -1

    def advance(self, n: int) -> None:
        self.sent += n
        if self.enabled and self.total:
            pct = self.sent * 100 // self.total
            if pct != self.shown:
                self.shown = pct
                sys.stderr.write(f"\r{self.label}: {pct:3d}% of {self.total / 1e6:.1f} MB")
                sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.shown >= 0:
            sys.stderr.write("\n")


class _Progress:
    """A file wrapper that streams in blocks and feeds the progress bar; seekable for retries."""

    def __init__(self, fh: IO[bytes], total: int, label: str, enabled: bool | None) -> None:
        self._fh = fh
        self._bar = _Bar(total, label, enabled)
        self.len = total  # requests sets Content-Length from this

    def read(self, n: int = CHUNK) -> bytes:
        block = self._fh.read(n if n and n > 0 else CHUNK)
        self._bar.advance(len(block))
        if not block:
            self._bar.done()
        return block

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(CHUNK):
            yield block

    def seek(self, offset: int, whence: int = 0) -> int:
        self._bar.sent = 0
        return self._fh.seek(offset, whence)

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._fh.tell()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)
