"""Real object stores on 127.0.0.1 for the artifact backends: s3proxy (S3) and Azurite (Azure Blob).

Both run as plain processes in their own process group, on a free port, with a temp folder that
is removed on stop, and a watchdog that kills them should the test process die first. Each store
gets fresh random credentials, so no SDK can pass by hard-coding an emulator's well-known key.
Installed by `make setup-stores` (s3proxy's jar with Maven into ~/.m2, Azurite with npm into
.work/azurite)."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.harness.server import HOST, ROOT, free_port

S3PROXY_VERSION = "2.6.0"
S3PROXY_JAR = (
    Path.home() / ".m2/repository/org/gaul/s3proxy" / S3PROXY_VERSION
    / f"s3proxy-{S3PROXY_VERSION}-jar-with-dependencies.jar"
)  # fmt: skip
AZURITE_BIN = ROOT / ".work" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
BUCKET = "mlflow"  # the S3 bucket and the Azure container the artifact roots live in
REGION = "us-east-1"


class _StoreProcess:
    """One store process: started in its own session, watched, killed by process group."""

    name = "store"

    def __init__(self, startup_timeout: float = 60.0) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"mlflowrest-{self.name}-"))
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def process_env(self) -> dict[str, str]:
        return {}

    def prepare(self) -> None:
        """Write configuration and create the bucket/container before the process starts."""

    def after_start(self) -> None:
        """Anything that needs the running store."""

    def start(self) -> _StoreProcess:
        self.prepare()
        log = open(self.dir / "store.log", "ab")  # noqa: SIM115 (the store's stdout for its whole life)
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir,
            env={**os.environ, **self.process_env()}, start_new_session=True,
        )  # fmt: skip
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "tests.harness.watchdog", str(os.getpid()), "killpg", str(self.proc.pid)],
            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                urllib.request.urlopen(self.endpoint + "/", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer (403 without credentials) means it listens
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"{self.name} not answering after {self.startup_timeout} s:\n{self.tail()}")
        self.after_start()
        return self

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.dir / "store.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> _StoreProcess:
        try:
            return self.start()
        except Exception:
            self.stop()
            raise

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class S3Proxy(_StoreProcess):
    """s3proxy on its filesystem backend, SigV4 (and V2) authorization on, bucket `mlflow` created."""

    name = "s3proxy"

    def __init__(self, startup_timeout: float = 60.0) -> None:
        super().__init__(startup_timeout)
        self.access_key = "AKIA" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(30)

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    def prepare(self) -> None:
        if not S3PROXY_JAR.is_file():
            raise FileNotFoundError(f"{S3PROXY_JAR} missing: run `make setup-stores`")
        # The filesystem backend's buckets are the base folder's subfolders.
        (self.data_dir / BUCKET).mkdir(parents=True)
        (self.dir / "s3proxy.properties").write_text(
            f"s3proxy.endpoint={self.endpoint}\n"
            "s3proxy.authorization=aws-v2-or-v4\n"
            f"s3proxy.identity={self.access_key}\n"
            f"s3proxy.credential={self.secret_key}\n"
            "jclouds.provider=filesystem\n"
            f"jclouds.filesystem.basedir={self.data_dir}\n"
        )

    def command(self) -> list[str]:
        return ["java", "-jar", str(S3PROXY_JAR), "--properties", str(self.dir / "s3proxy.properties")]

    def client_env(self) -> dict[str, str]:
        """What an S3 client (boto3, the SDKs) needs to reach this store."""
        return {
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": REGION,
            # boto3 >= 1.36 sends flexible checksums by default; s3proxy 2.6.0 answers NotImplemented.
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        }

    def boto3_client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"),
        )  # fmt: skip


class Azurite(_StoreProcess):
    """Azurite's Blob service with one account of random key and the container `mlflow` created."""

    name = "azurite"
    account = "mlflowrest"

    def __init__(self, startup_timeout: float = 60.0) -> None:
        super().__init__(startup_timeout)
        self.key = base64.b64encode(secrets.token_bytes(64)).decode()

    def prepare(self) -> None:
        if not AZURITE_BIN.exists():
            raise FileNotFoundError(f"{AZURITE_BIN} missing: run `make setup-stores`")

    def command(self) -> list[str]:
        # --loose: accept headers Azurite does not implement; --skipApiVersionCheck: newer
        # azure-storage-blob releases send API versions Azurite has not heard of yet.
        return [str(AZURITE_BIN), "--blobHost", HOST, "--blobPort", str(self.port),
                "--location", str(self.dir / "data"),
                "--loose", "--skipApiVersionCheck", "--disableTelemetry"]  # fmt: skip

    def process_env(self) -> dict[str, str]:
        return {"AZURITE_ACCOUNTS": f"{self.account}:{self.key}"}

    def after_start(self) -> None:
        self.blob_service().create_container(BUCKET)

    @property
    def blob_endpoint(self) -> str:
        # Azurite is path-style: the account is the first path segment.
        return f"{self.endpoint}/{self.account}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={self.account};AccountKey={self.key};"
                f"BlobEndpoint={self.blob_endpoint};")  # fmt: skip

    @property
    def wasbs_root(self) -> str:
        return f"wasbs://{BUCKET}@{self.account}.blob.core.windows.net/artifacts"

    def client_env(self) -> dict[str, str]:
        return {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string, "AZURE_STORAGE_ACCESS_KEY": self.key}

    def blob_service(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)
