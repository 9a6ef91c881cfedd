"""An MLflow server with its artifacts wherever the chosen backend keeps them.

    with ArtifactBackend("s3") as backend:
        subprocess.run(cmd, env={**os.environ, **backend.env})

Each backend: the server, then what a client gets in `env`.

- `proxied`: `--serve-artifacts` (mlflow-artifacts:/); MLFLOW_TRACKING_URI.
- `s3`: `--no-serve-artifacts --default-artifact-root s3://mlflow/artifacts`, s3proxy behind;
  + MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION,
  AWS_REQUEST_CHECKSUM_CALCULATION, AWS_RESPONSE_CHECKSUM_VALIDATION.
- `azure`: `--no-serve-artifacts --default-artifact-root wasbs://mlflow@mlflowrest.blob.core.windows.net/artifacts`,
  Azurite behind; + AZURE_STORAGE_CONNECTION_STRING (with BlobEndpoint), AZURE_STORAGE_ACCESS_KEY.
- `path`: `--no-serve-artifacts --default-artifact-root <a plain folder>`; MLFLOW_TRACKING_URI (the folder
  is on this machine).
- `databricks`: the Databricks stand-in (tests/harness/databricks.py) in front of a server whose roots are
  `dbfs:/databricks/mlflow-tracking/...`, bytes in s3proxy (or Azurite with `databricks_store="azure"`);
  MLFLOW_TRACKING_URI=databricks, DATABRICKS_HOST, DATABRICKS_TOKEN, MLFLOW_REGISTRY_URI=databricks; no store
  credentials (clients must use the signed URLs).

`url` is the HTTP address an SDK talks to (the stand-in's for `databricks`), `server` the MLflow
server behind it; `backend_fixture(...)` makes a pytest fixture of it. The server's own process gets
the store's variables too: it checks and lists roots, and the official client inside it resolves
`models:/` sources.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from tests.harness.server import MlflowServer
from tests.harness.stores import BUCKET, Azurite, S3Proxy

if TYPE_CHECKING:
    from tests.harness.databricks import DatabricksStandIn

BACKENDS = ("proxied", "s3", "azure", "path", "databricks")
DBFS_ROOT = "dbfs:/databricks/mlflow-tracking"


class ArtifactBackend:
    def __init__(self, kind: str, workers: int | None = 1, backend_store_uri: str | None = None,
                 quiet: bool = True, databricks_store: str = "s3") -> None:  # fmt: skip
        if kind not in BACKENDS:
            raise ValueError(f"artifact backend {kind!r}: expected one of {', '.join(BACKENDS)}")
        if databricks_store not in ("s3", "azure"):
            raise ValueError(f"databricks_store {databricks_store!r}: expected s3 or azure")
        self.kind = kind
        # Where the Databricks stand-in keeps bytes: s3 (AWS_PRESIGNED_URL) or azure (AZURE_SAS_URI).
        self.databricks_store = databricks_store
        self.workers = workers
        self.backend_store_uri = backend_store_uri
        self.quiet = quiet
        self.s3: S3Proxy | None = None
        self.azure: Azurite | None = None
        self.standin: DatabricksStandIn | None = None  # for `databricks`
        self.server: MlflowServer | None = None
        self.shared_dir: Path | None = None

    def start(self) -> ArtifactBackend:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        root: str | None = None
        server_env: dict[str, str] = {}
        on_azure = self.kind == "azure" or (self.kind == "databricks" and self.databricks_store == "azure")
        if on_azure:
            self.azure = Azurite()
            self.azure.start()
            server_env = self.azure.client_env()
            root = self.azure.wasbs_root
        elif self.kind in ("s3", "databricks"):
            self.s3 = S3Proxy()
            self.s3.start()
            server_env = self.s3.client_env()
            root = f"s3://{BUCKET}/artifacts"
        if self.kind == "databricks":
            root = DBFS_ROOT
        elif self.kind == "path":
            self.shared_dir = Path(tempfile.mkdtemp(prefix="mlflowrest-shared-artifacts-"))
            root = str(self.shared_dir)
        self.server = MlflowServer(workers=self.workers, backend_store_uri=self.backend_store_uri,
                                   artifact_root=root, env=server_env, quiet=self.quiet)  # fmt: skip
        self.server.start()
        if self.kind == "databricks":
            from tests.harness.databricks import DatabricksStandIn

            self.standin = DatabricksStandIn(self.server.url, self.s3, azure=self.azure)
            self.standin.start()

    @property
    def url(self) -> str:
        """Where an SDK sends its HTTP requests."""
        if self.standin is not None:
            return self.standin.url
        assert self.server is not None
        return self.server.url

    def env_for(self, url: str | None = None) -> dict[str, str]:
        """A client's environment; `url` replaces the address (e.g. a recording proxy in front)."""
        url = url or self.url
        if self.kind == "databricks":
            assert self.standin is not None
            return {"MLFLOW_TRACKING_URI": "databricks", "DATABRICKS_HOST": url,
                    "DATABRICKS_TOKEN": self.standin.token, "MLFLOW_REGISTRY_URI": "databricks"}  # fmt: skip
        env = {"MLFLOW_TRACKING_URI": url}
        if self.s3 is not None:
            env.update(self.s3.client_env())
        if self.azure is not None:
            env.update(self.azure.client_env())
        return env

    @property
    def env(self) -> dict[str, str]:
        return self.env_for()

    def stop(self) -> None:
        if self.standin is not None:
            self.standin.stop()
            self.standin = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        for store in (self.s3, self.azure):
            if store is not None:
                store.stop()
        self.s3 = self.azure = None
        if self.shared_dir is not None:
            shutil.rmtree(self.shared_dir, ignore_errors=True)
            self.shared_dir = None

    def __enter__(self) -> ArtifactBackend:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def backend_fixture(*kinds: str, scope: Literal["session", "package", "module"] = "module") -> Any:
    """A pytest fixture yielding a started ArtifactBackend per kind (all five by default):

        artifact_backend = backend_fixture("s3", "databricks")

        def test_upload(artifact_backend): ... artifact_backend.env ...
    """
    import pytest

    @pytest.fixture(scope=scope, params=list(kinds or BACKENDS))
    def fixture(request: pytest.FixtureRequest) -> Iterator[ArtifactBackend]:
        with ArtifactBackend(request.param) as backend:
            yield backend

    return fixture
