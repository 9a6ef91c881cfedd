from __future__ import annotations

import copy
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlflowrest._artifact_stores import ArtifactStore, join, scheme_of
from mlflowrest._artifact_stores._names import check_names
from mlflowrest._artifact_stores.uris import Locator
from mlflowrest._exceptions import ApiError, InvalidParameterValueError, MlflowError
from mlflowrest._generated import models
from mlflowrest._generated.resources import ArtifactsResource as _Generated

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient


class ArtifactsResource(_Generated):
    """Run and model artifacts wherever the server keeps them, streamed both ways.

    `target` is a run id, `runs:/<run_id>[/path]`, `models:/m-<id>` (a logged model), or for
    downloads also `models:/<name>/<version|stage|latest>` and `models:/<name>@<alias>`. The store
    is chosen by the scheme of the owner's artifact_uri (mlflow-artifacts:, s3:, wasbs:, abfss:,
    file: or a plain path, dbfs:); see python/README.md, "Where your artifacts live"."""

    def __init__(self, client: MlflowClient) -> None:
        super().__init__(client)
        self._locator = Locator(client)

    def _store(self, target: str) -> tuple[ArtifactStore, str]:
        """The store holding `target`'s files and the path of `target` inside it."""
        return self._locator.locate(target)

    def upload(self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None,
               *, progress: bool | None = None) -> list[str]:  # fmt: skip
        """Upload a file, or a folder with its whole tree, under `artifact_path`; returns the stored
        paths. Every name is checked before the first byte is sent; should a file fail midway, the
        error says which files were stored (`error.stored`) and names the one that failed."""
        local = Path(local_path)
        if not local.exists():
            raise InvalidParameterValueError(f"no such file or folder: {local}", field="local_path")
        journal = self._client._transport.journal
        if journal is None:
            return self._upload_now(run_id, local, artifact_path, progress)
        if journal.records_artifacts(run_id):
            return journal.artifact(run_id, local, artifact_path)  # uploaded by sync
        try:
            return self._upload_now(journal.bound(run_id), local, artifact_path, progress)
        except MlflowError as exc:
            from mlflowrest._journal._replay import final

            if final(exc) or not journal.keeps:
                raise
            return journal.artifact(run_id, local, artifact_path)  # the server is away: a copy for later

    def _upload_now(
        self, run_id: str, local: Path, artifact_path: str | None, progress: bool | None = None
    ) -> list[str]:
        """upload() to the server, never into a journal (what a journal's replay sends)."""
        store, base = self._store(run_id)
        target = join(base, artifact_path or "")
        files = [(local, join(target, local.name))] if local.is_file() else [
            (f, join(target, *f.relative_to(local).parts)) for f in sorted(local.rglob("*")) if f.is_file()
        ]  # fmt: skip
        check_names(files)
        stored: list[str] = []
        try:
            for path in store.upload_files(files, progress):
                stored.append(_relative(path, base))
        except MlflowError as exc:
            raise _partial(exc, files, stored, base) from exc.__cause__
        return stored

    def list_files(self, run_id: str, path: str | None = None) -> list[models.ArtifactsFileInfo]:
        """Entries directly under `path`, each named relative to the artifact root (as MLflow's
        own clients name them: listing "data" gives "data/a.txt")."""
        store, base = self._store(run_id)
        return [
            f.model_copy(update={"path": _relative(f.path or "", base)}) for f in store.list(join(base, path or ""))
        ]

    def download(
        self,
        run_id: str,
        path: str | os.PathLike[str] | None = None,
        dst: str | os.PathLike[str] | None = None,
        *,
        progress: bool | None = None,
    ) -> Path:
        """Download a file or folder into the folder `dst`; returns the local path written.

        `download(run_id, "model", dst)`, or with a URI `download("models:/churn@champion", dst)`.
        A file is asked for directly (one request); only when that fails is the path listed as
        a folder."""
        if scheme_of(run_id) and dst is None:
            path, dst = "", path
        if dst is None:
            raise InvalidParameterValueError("dst (the local folder to download into) is required", field="dst")
        store, base = self._store(run_id)
        full = join(base, str(path or ""))
        out = Path(dst)
        out.mkdir(parents=True, exist_ok=True)
        if not full:  # an owner's root is always a folder
            return self._download_folder(store, full, out, progress)
        name = PurePosixPath(full).name
        try:
            store.download_file(full, out / name, progress)
            return out / name
        except ApiError as exc:  # a folder, or missing: the listing tells which
            if not store.list(full):
                raise exc from None
        return self._download_folder(store, full, out / name, progress)

    def _download_folder(self, store: ArtifactStore, path: str, folder: Path, progress: bool | None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for entry in store.list(path):
            target = folder / PurePosixPath(entry.path or "").name
            if entry.is_dir:
                self._download_folder(store, entry.path or "", target, progress)
            else:
                store.download_file(entry.path or "", target, progress)
        return folder

    def delete_file(self, run_id: str, path: str) -> None:
        store, base = self._store(run_id)
        store.delete(join(base, path))


def _relative(path: str, base: str) -> str:
    return str(PurePosixPath(path).relative_to(base)) if base else path


def _partial(exc: MlflowError, files: list[tuple[Path, str]], stored: list[str], base: str) -> MlflowError:
    """The same error, saying which file failed and which were stored before it."""
    failed = files[len(stored)][0]
    note = (f"uploading {failed} failed after {len(stored)} of {len(files)} files were stored"
            + (f" ({', '.join(stored[:20])}{', ...' if len(stored) > 20 else ''})" if stored else ""))  # fmt: skip
    annotated = copy.copy(exc)
    annotated.args = (f"{note}: {exc}",)
    if isinstance(annotated, ApiError):
        annotated.message = f"{note}: {annotated.message}"
    annotated.stored = stored  # type: ignore[attr-defined]
    annotated.failed_file = str(failed)  # type: ignore[attr-defined]
    return annotated
