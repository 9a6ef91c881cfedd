"""A stand-in for the part of Databricks that only Databricks serves, in front of a real server.

Databricks is out of reach from the tests, so this small threaded HTTP server plays its role for
the official client (MLFLOW_TRACKING_URI=databricks, DATABRICKS_HOST=<url>, DATABRICKS_TOKEN)
and for the SDKs:

- every request needs `Authorization: Bearer <token>` (401 otherwise), except the discovery
  document `GET /.well-known/databricks-config` that databricks-sdk fetches without one;
- tracking and registry calls go to the real MLflow server behind it, whose default artifact root
  is `dbfs:/databricks/mlflow-tracking`, so experiment N stores runs at
  `dbfs:/databricks/mlflow-tracking/N/<run>/artifacts`; answers are rewritten so logged models
  live at `.../N/logged_models/<model_id>/artifacts`, as on Databricks;
- the Files API (`/api/2.0/fs/...`) answers 501, so clients fall back to the credential API;
- the artifact credential API of `mlflow.protos.databricks_artifacts_pb2` hands out real
  presigned URLs into s3proxy (AWS_PRESIGNED_URL), with real S3 multipart uploads behind
  create-multipart-upload / get-presigned-upload-part-url / complete-multipart-upload;
- `mlflow/artifacts/list` and the logged-model artifact listing of dbfs roots list s3proxy;
- given an Azurite (`azure=`), it plays an Azure workspace instead: AZURE_SAS_URI credentials
  (blob SAS URLs into Azurite, which clients upload to in blocks) and listings of Azurite.

A dbfs root `dbfs:/databricks/mlflow-tracking/<rest>` is the key prefix
`databricks/mlflow-tracking/<rest>` in the bucket (container) `mlflow`. What Databricks does that this does
not model is in tests/harness/README.md.
"""

from __future__ import annotations

import http.client
import json
import posixpath
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tests.harness.server import HOST
from tests.harness.stores import BUCKET, Azurite, S3Proxy

API = "/api/2.0/mlflow"
DBFS = "dbfs:/"
SIGNED_URL_SECONDS = 900  # Databricks' signed URLs also last minutes, not hours
# A header every single-part signed PUT must send (it is part of the signature), so a client
# that drops the credential's `headers` fails here as it would on Databricks.
REQUIRED_PUT_HEADER = ("x-amz-meta-mlflowrest-standin", "1")
# OSS stores logged models under <experiment root>/models/<id>; Databricks under logged_models.
_OSS_MODEL_ROOT = re.compile(r"(dbfs:/databricks/mlflow-tracking/[^/\"]+)/models/(m-[0-9a-f]+)")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length",
               "host", "authorization"}  # fmt: skip
_LOGGED_MODEL_CREDS = re.compile(rf"^{API}/logged-models/([^/]+)/artifacts/credentials-for-(upload|download)$")
_LOGGED_MODEL_LIST = re.compile(rf"^{API}/logged-models/([^/]+)/artifacts/directories$")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def dbfs_key(root: str) -> str:
    """The S3 key prefix of a dbfs root; anything else is not this stand-in's to serve."""
    if not root.startswith(DBFS + "databricks/mlflow-tracking/"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"artifact root {root!r} is not a dbfs:/databricks root")
    return root[len(DBFS) :].rstrip("/")


def relative(path: str | None) -> str:
    """A client's relative artifact path, refused when it would leave the resource's root."""
    clean = posixpath.normpath(path or ".").lstrip("/")
    if clean == ".":
        return ""
    if clean == ".." or clean.startswith("../"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"artifact path {path!r} leaves the artifact root")
    return clean


class DatabricksStandIn:
    def __init__(self, upstream: str, s3: S3Proxy | None = None, token: str | None = None,
                 azure: Azurite | None = None) -> None:  # fmt: skip
        if (s3 is None) == (azure is None):
            raise ValueError("the stand-in keeps its bytes in exactly one store: s3 or azure")
        self.upstream = urlsplit(upstream)
        self.s3 = s3
        self.azure = azure
        self.token = token or "dapi" + secrets.token_hex(16)
        self._s3_client = s3.boto3_client() if s3 is not None else None
        self._container = azure.blob_service().get_container_client(BUCKET) if azure is not None else None
        self.calls: list[tuple[str, str, int]] = []  # (method, path, status), for tests
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://{HOST}:{self._httpd.server_address[1]}"

    def start(self) -> DatabricksStandIn:
        standin = self

        class Handler(_Handler):
            owner = standin

        self._httpd = ThreadingHTTPServer((HOST, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # ---- talking to the real server ----------------------------------------------------------
    def forward(self, method: str, target: str, headers: dict[str, str],
                body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
        conn = http.client.HTTPConnection(str(self.upstream.hostname), self.upstream.port, timeout=120)
        try:
            conn.request(method, target, body=body or None, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def upstream_json(self, path: str, query: str) -> dict[str, Any]:
        status, _, body = self.forward("GET", f"{path}?{query}", {}, b"")
        data = json.loads(body or b"{}")
        if status != 200:
            raise ApiError(status, data.get("error_code", "INTERNAL_ERROR"), data.get("message", body.decode()[:200]))
        return rewrite(data)

    def root_of(self, resource_id: str) -> str:
        """The artifact root of a run, or of a logged model (ids `m-...`, which the multipart
        RPCs also carry in `run_id`)."""
        if resource_id.startswith("m-"):
            model = self.upstream_json(f"{API}/logged-models/{quote(resource_id)}", "")
            return str(model["model"]["info"]["artifact_uri"])
        run = self.upstream_json(f"{API}/runs/get", f"run_id={quote(resource_id)}")
        return str(run["run"]["info"]["artifact_uri"])

    # ---- the credential API ------------------------------------------------------------------
    def credential(self, resource_id: str, path: str, method: str, key: str, **extra: Any) -> dict[str, Any]:
        if self.azure is not None:
            return self.sas_credential(resource_id, path, key, write=method != "get_object")
        params: dict[str, Any] = {"Bucket": BUCKET, "Key": key, **extra}
        headers = []
        if method == "put_object":
            params["Metadata"] = {REQUIRED_PUT_HEADER[0].removeprefix("x-amz-meta-"): REQUIRED_PUT_HEADER[1]}
            headers = [{"name": REQUIRED_PUT_HEADER[0], "value": REQUIRED_PUT_HEADER[1]}]
        assert self._s3_client is not None, "signing needs the S3 store"
        url = self._s3_client.generate_presigned_url(method, Params=params, ExpiresIn=SIGNED_URL_SECONDS)
        info: dict[str, Any] = {"run_id": resource_id, "path": path, "signed_uri": url, "type": "AWS_PRESIGNED_URL"}
        if headers:
            info["headers"] = headers
        return info

    def sas_credential(self, resource_id: str, path: str, key: str, write: bool) -> dict[str, Any]:
        from datetime import datetime, timedelta, timezone

        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        assert self.azure is not None
        sas = generate_blob_sas(
            self.azure.account, BUCKET, key, account_key=self.azure.key,
            permission=BlobSasPermissions(read=not write, write=write, create=write),
            expiry=datetime.now(timezone.utc) + timedelta(seconds=SIGNED_URL_SECONDS),
        )  # fmt: skip
        url = f"{self.azure.blob_endpoint}/{BUCKET}/{quote(key)}?{sas}"
        return {"run_id": resource_id, "path": path, "signed_uri": url, "type": "AZURE_SAS_URI"}

    def credentials(self, resource_id: str, paths: list[str], write: bool) -> list[dict[str, Any]]:
        prefix = dbfs_key(self.root_of(resource_id))
        method = "put_object" if write else "get_object"
        return [self.credential(resource_id, p, method, object_key(prefix, p)) for p in paths]

    def create_multipart(self, body: dict[str, Any]) -> dict[str, Any]:
        resource_id, path, parts = body["run_id"], body["path"], int(body.get("num_parts") or 0)
        if parts < 1:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "num_parts must be at least 1")
        key = object_key(dbfs_key(self.root_of(resource_id)), path)
        if self._s3_client is None:  # Azure workspaces upload in blocks to one SAS URL instead
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "multipart uploads are for AWS_PRESIGNED_URL workspaces")
        upload_id = self._s3_client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        part = lambda n: self.credential(resource_id, path, "upload_part", key, UploadId=upload_id, PartNumber=n)  # noqa: E731
        abort = self.credential(resource_id, path, "abort_multipart_upload", key, UploadId=upload_id)
        return {"upload_id": upload_id, "upload_credential_infos": [part(n) for n in range(1, parts + 1)],
                "abort_credential_info": abort}  # fmt: skip

    def part_url(self, query: dict[str, str]) -> dict[str, Any]:
        resource_id, path = query["run_id"], query["path"]
        key = object_key(dbfs_key(self.root_of(resource_id)), path)
        info = self.credential(resource_id, path, "upload_part", key, UploadId=query["upload_id"],
                               PartNumber=int(query["part_number"]))  # fmt: skip
        return {"upload_credential_info": info}

    def complete_multipart(self, body: dict[str, Any]) -> dict[str, Any]:
        key = object_key(dbfs_key(self.root_of(body["run_id"])), body["path"])
        parts = [{"PartNumber": int(p["part_number"]), "ETag": p["etag"]} for p in body.get("part_etags", [])]
        if self._s3_client is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "multipart uploads are for AWS_PRESIGNED_URL workspaces")
        self._s3_client.complete_multipart_upload(
            Bucket=BUCKET, Key=key, UploadId=body["upload_id"], MultipartUpload={"Parts": parts}
        )
        return {}

    # ---- listing -----------------------------------------------------------------------------
    def list_dbfs(self, root: str, path: str | None) -> list[dict[str, Any]]:
        """One folder level under a dbfs root, as mlflow/artifacts/list answers it."""
        rel = relative(path)
        prefix = dbfs_key(root) + "/" + (rel + "/" if rel else "")
        files: list[dict[str, Any]] = []
        for name, size in self._level(prefix):
            entry = {"path": posixpath.join(rel, name.rstrip("/")), "is_dir": size is None}
            files.append(entry if size is None else {**entry, "file_size": size})
        if not files and rel:
            # A file asked for as a folder: MLflow answers with that one file.
            size = self._size(prefix.rstrip("/"))
            if size is not None:
                files = [{"path": rel, "is_dir": False, "file_size": size}]
        return sorted(files, key=lambda f: f["path"])

    def _level(self, prefix: str) -> list[tuple[str, int | None]]:
        """(name below prefix, size) of one level: folders end in "/" and have no size."""
        if self._container is not None:
            return [(item.name[len(prefix) :], None if item.name.endswith("/") else item.size)
                    for item in self._container.walk_blobs(name_starts_with=prefix, delimiter="/")]  # fmt: skip
        assert self._s3_client is not None
        out: list[tuple[str, int | None]] = []
        pages = self._s3_client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix, Delimiter="/")
        for page in pages:
            out += [(folder["Prefix"][len(prefix) :], None) for folder in page.get("CommonPrefixes", [])]
            out += [(obj["Key"][len(prefix) :], obj["Size"])
                    for obj in page.get("Contents", []) if obj["Key"] != prefix]  # fmt: skip
        return out

    def _size(self, key: str) -> int | None:
        try:
            if self._container is not None:
                return int(self._container.get_blob_client(key).get_blob_properties().size)
            assert self._s3_client is not None
            return int(self._s3_client.head_object(Bucket=BUCKET, Key=key)["ContentLength"])
        except Exception:  # not found, in either store's own exception type
            return None


def object_key(prefix: str, path: str | None) -> str:
    """The object a path names; the root itself is `prefix`, never `prefix/`, which s3proxy's
    filesystem backend would answer as an empty directory object where S3 answers NoSuchKey."""
    rel = relative(path)
    return f"{prefix}/{rel}" if rel else prefix


def rewrite(data: Any) -> Any:
    """Logged models under `logged_models/`, as Databricks keeps them."""
    text = json.dumps(data)
    fixed = _OSS_MODEL_ROOT.sub(r"\1/logged_models/\2", text)
    return json.loads(fixed) if fixed != text else data


class _Handler(BaseHTTPRequestHandler):
    owner: DatabricksStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.owner.calls.append((self.command, self.path.split("?")[0], status))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        body = self._body()
        if path == "/.well-known/databricks-config" and self.command == "GET":
            self._reply(200, {"oidc_endpoint": f"{self.owner.url}/oidc", "workspace_id": "1234567890123456",
                              "cloud": "aws"})  # fmt: skip
            return
        if self.headers.get("Authorization") != f"Bearer {self.owner.token}":
            self._reply(401, {"error_code": "UNAUTHENTICATED",
                              "message": "Credential was not sent or was of an unsupported type "
                                         "for this API."})  # fmt: skip
            return
        try:
            answer = self._route(path, url.query, body)
        except ApiError as e:
            self._reply(e.status, {"error_code": e.code, "message": e.message})
            return
        except (KeyError, ValueError, TypeError) as e:
            self._reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": f"bad request: {e}"})
            return
        if answer is not None:
            self._reply(200, answer)
            return
        self._forward(body)

    def _route(self, path: str, query: str, body: bytes) -> dict[str, Any] | None:
        """The stand-in's own routes; None means: forward to the real server."""
        owner, method = self.owner, self.command
        if path.startswith("/api/2.0/fs/"):
            raise ApiError(501, "NOT_IMPLEMENTED", "the Files API is not available in this workspace")
        q = {k: v[-1] for k, v in parse_qs(query).items()}
        data = json.loads(body) if body else {}
        credentials = (f"{API}/artifacts/credentials-for-write", f"{API}/artifacts/credentials-for-read")
        if method == "POST" and path in credentials:
            paths = data.get("path") or []
            paths = [paths] if isinstance(paths, str) else paths
            infos = owner.credentials(data["run_id"], paths, write=path.endswith("write"))
            return {"credential_infos": infos}
        m = _LOGGED_MODEL_CREDS.match(path)
        if m and method == "POST":
            infos = owner.credentials(m[1], list(data.get("paths") or []), write=m[2] == "upload")
            return {"credentials": [{"path": i["path"], "credential_info": i} for i in infos]}
        if method == "POST" and path == f"{API}/artifacts/create-multipart-upload":
            return owner.create_multipart(data)
        if method == "GET" and path == f"{API}/artifacts/get-presigned-upload-part-url":
            return owner.part_url(q)
        if method == "POST" and path == f"{API}/artifacts/complete-multipart-upload":
            return owner.complete_multipart(data)
        if method == "GET" and path == f"{API}/artifacts/list":
            root = owner.root_of(q["run_id"])
            if root.startswith(DBFS):
                return {"root_uri": root, "files": owner.list_dbfs(root, q.get("path"))}
        m = _LOGGED_MODEL_LIST.match(path)
        if m and method == "GET":
            root = owner.root_of(m[1])
            if root.startswith(DBFS):
                return {"files": owner.list_dbfs(root, q.get("artifact_directory_path"))}
        return None

    def _forward(self, body: bytes) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        status, resp_headers, data = self.owner.forward(self.command, self.path, headers, body)
        if data[:1] in (b"{", b"[") and b"dbfs:/" in data:
            data = json.dumps(rewrite(json.loads(data))).encode()
        self.send_response(status)
        for k, v in resp_headers:
            if k.lower() not in _HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.owner.calls.append((self.command, self.path.split("?")[0], status))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
