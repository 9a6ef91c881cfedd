"""Artifact stores with mocked HTTP: which store a URI picks, where runs:/ and models:/ lead,
Databricks' credential service and signed URLs, and what a failed folder upload says."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from mlflowrest import InvalidParameterValueError, MlflowClient, MlflowError, ResourceDoesNotExistError, ServerError
from mlflowrest._artifact_stores import SCHEMES, open_store
from mlflowrest._artifact_stores.azure import AzureBlobStore
from mlflowrest._artifact_stores.databricks import DatabricksStore, split_dbfs
from mlflowrest._artifact_stores.local import LocalStore
from mlflowrest._artifact_stores.proxied import ProxiedStore
from mlflowrest._artifact_stores.s3 import S3Store

BASE = "http://mlflow.test"
API = f"{BASE}/api/2.0/mlflow"
PROXY = f"{BASE}/api/2.0/mlflow-artifacts/artifacts"
SIGNED = "https://bucket.s3.test/obj"
RUN_ROOT = "mlflow-artifacts:/0/r1/artifacts"
DBFS_ROOT = "dbfs:/databricks/mlflow-tracking/7/r1/artifacts"


def body_bytes(body: Any) -> bytes:
    if body is None or isinstance(body, bytes):
        return body or b""
    if isinstance(body, str):
        return body.encode()
    return b"".join(iter(lambda: body.read(1 << 16), b""))


def run_answer(uri: str, run_id: str = "r1") -> dict[str, Any]:
    return {"run": {"info": {"run_id": run_id, "experiment_id": "0", "artifact_uri": uri}, "data": {}}}


# ---- scheme selection ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("uri", "cls"),
    [
        (RUN_ROOT, ProxiedStore),
        ("mlflow-artifacts://host:5000/0/r1/artifacts", ProxiedStore),
        ("s3://mlflow/artifacts/0/r1/artifacts", S3Store),
        ("wasbs://mlflow@acct.blob.core.windows.net/artifacts/0/r1", AzureBlobStore),
        ("abfss://mlflow@acct.dfs.core.windows.net/artifacts/0/r1", AzureBlobStore),
        ("file:///srv/mlflow/0/r1/artifacts", LocalStore),
        ("/srv/mlflow/0/r1/artifacts", LocalStore),
        (DBFS_ROOT, DatabricksStore),
    ],
)
def test_scheme_picks_store(offline: MlflowClient, monkeypatch: pytest.MonkeyPatch, uri: str, cls: type) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCESS_KEY", "a2V5")  # building a client sends nothing
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert type(open_store(offline, uri)) is cls


def test_proxied_root_drops_scheme_and_host(offline: MlflowClient) -> None:
    store = open_store(offline, "mlflow-artifacts://host:5000/0/r1/artifacts")
    assert isinstance(store, ProxiedStore) and store.root == "0/r1/artifacts"


@pytest.mark.parametrize("uri", ["hdfs://namenode/mlflow/0/r1", "gs://bucket/x", "ftp://host/x"])
def test_unknown_scheme_is_typed_error_naming_it_and_supported(offline: MlflowClient, uri: str) -> None:
    with pytest.raises(InvalidParameterValueError) as err:
        open_store(offline, uri)
    scheme = uri.split(":")[0]
    assert f"scheme {scheme!r}" in str(err.value) and err.value.field == "artifact_uri"
    for supported in SCHEMES:
        assert f"{supported}:" in str(err.value)


@responses.activate
def test_unknown_scheme_of_a_run_fails_before_anything_is_sent(offline: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/runs/get", json=run_answer("hdfs://nn/mlflow/0/r1/artifacts"))
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(InvalidParameterValueError, match="'hdfs' is not supported"):
        offline.artifacts.upload("r1", tmp_path / "a.txt")
    assert [c.request.url for c in responses.calls] == [f"{API}/runs/get?run_id=r1"]


def test_missing_extra_says_what_to_install(offline: MlflowClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed
    with pytest.raises(MlflowError, match=r"pip install 'mlflowrest\[s3\]'"):
        open_store(offline, "s3://bucket/x")


def test_s3_client_follows_mlflow_variables(offline: MlflowClient) -> None:
    env = {"MLFLOW_S3_ENDPOINT_URL": "http://127.0.0.1:9000", "MLFLOW_S3_IGNORE_TLS": "true",
           "MLFLOW_S3_UPLOAD_EXTRA_ARGS": '{"ServerSideEncryption": "AES256"}',
           "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"}  # fmt: skip
    store = S3Store(offline, "s3://bkt/pre/fix", env=env)
    assert (store.bucket, store.prefix) == ("bkt", "pre/fix")
    assert store._s3.meta.endpoint_url == "http://127.0.0.1:9000"
    assert store._s3.meta.config.s3["addressing_style"] == "path"  # custom endpoints are path-style
    assert store._extra == {"ServerSideEncryption": "AES256"}
    with pytest.raises(InvalidParameterValueError) as err:
        S3Store(offline, "s3://bkt/x", env={"MLFLOW_S3_UPLOAD_EXTRA_ARGS": "{nope"})
    assert err.value.field == "MLFLOW_S3_UPLOAD_EXTRA_ARGS"


def test_azure_needs_credentials(offline: MlflowClient) -> None:
    with pytest.raises(MlflowError, match="AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY"):
        AzureBlobStore(offline, "wasbs://c@acct.blob.core.windows.net/p", env={})


def test_dbfs_uris_name_run_or_logged_model() -> None:
    assert split_dbfs(DBFS_ROOT + "/model") == ("run", "r1", "model")
    assert split_dbfs("dbfs:/databricks/mlflow-tracking/7/logged_models/m-1/artifacts") == ("logged_model", "m-1", "")
    with pytest.raises(InvalidParameterValueError, match="only dbfs:/databricks/mlflow-tracking"):
        split_dbfs("dbfs:/FileStore/x")


# ---- runs:/ and models:/ ------------------------------------------------------------------------
def serve_file(path: str, content: bytes) -> None:
    responses.get(f"{PROXY}/{path}", body=content, content_type="application/octet-stream")


@responses.activate
def test_runs_uri_downloads_the_path_inside_the_run(offline: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/runs/get", json=run_answer(RUN_ROOT))
    serve_file("0/r1/artifacts/model/MLmodel", b"flavors: {}\n")
    out = offline.artifacts.download("runs:/r1/model/MLmodel", tmp_path)
    assert out == tmp_path / "MLmodel" and out.read_bytes() == b"flavors: {}\n"


def logged_model(model_id: str, uri: str) -> None:
    responses.get(f"{API}/logged-models/{model_id}",
                  json={"model": {"info": {"model_id": model_id, "artifact_uri": uri}}})  # fmt: skip


def model_folder(root: str) -> None:
    """A logged model whose folder holds MLmodel and model.pkl."""
    responses.get(PROXY, match=[matchers.query_param_matcher({"path": root})],
                  json={"files": [{"path": "MLmodel", "is_dir": False, "file_size": 3},
                                  {"path": "model.pkl", "is_dir": False, "file_size": 4}]})  # fmt: skip
    serve_file(f"{root}/MLmodel", b"yml")
    serve_file(f"{root}/model.pkl", b"pkl!")


@pytest.mark.parametrize("uri", ["models:/churn/3", "models:/churn@champion", "models:/churn/Production",
                                 "models:/churn/latest"])  # fmt: skip
@responses.activate
def test_models_uri_follows_the_version_source_to_the_logged_model(
    offline: MlflowClient, tmp_path: Path, uri: str
) -> None:
    version = {"name": "churn", "version": "3", "source": "models:/m-abc", "model_id": "m-abc"}
    older = {**version, "version": "2", "source": "runs:/r0/model"}
    responses.get(f"{API}/model-versions/get", json={"model_version": version})
    responses.get(f"{API}/registered-models/alias", json={"model_version": version})
    responses.post(f"{API}/registered-models/get-latest-versions", json={"model_versions": [older, version]})
    logged_model("m-abc", "mlflow-artifacts:/0/models/m-abc/artifacts")
    model_folder("0/models/m-abc/artifacts")
    out = offline.artifacts.download(uri, tmp_path)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {"MLmodel": b"yml", "model.pkl": b"pkl!"}
    asked = {c.request.path_url.split("?")[0].rsplit("/", 1)[-1] for c in responses.calls}
    expected = {"models:/churn/3": "get", "models:/churn@champion": "alias"}.get(uri, "get-latest-versions")
    assert expected in asked


@responses.activate
def test_stage_query_names_the_stage(offline: MlflowClient, tmp_path: Path) -> None:
    responses.post(f"{API}/registered-models/get-latest-versions",
                  match=[matchers.json_params_matcher({"name": "churn", "stages": ["Staging"]})],
                  json={"model_versions": []})  # fmt: skip
    with pytest.raises(ResourceDoesNotExistError, match="no version in that stage"):
        offline.artifacts.download("models:/churn/Staging", tmp_path)


@responses.activate
def test_version_with_a_run_source_reads_from_the_run(offline: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/model-versions/get",
                  json={"model_version": {"name": "m", "version": "1", "source": "runs:/r1/model"}})  # fmt: skip
    responses.get(f"{API}/runs/get", json=run_answer(RUN_ROOT))
    responses.get(f"{PROXY}/0/r1/artifacts/model", status=400, json={"error_code": "BAD_REQUEST", "message": "dir"})
    model_folder("0/r1/artifacts/model")
    out = offline.artifacts.download("models:/m/1", tmp_path)
    assert out == tmp_path / "model" and sorted(p.name for p in out.iterdir()) == ["MLmodel", "model.pkl"]


@pytest.mark.parametrize("uri", ["models:/", "models:/onlyname", "runs:/"])
def test_malformed_uri_is_named(offline: MlflowClient, tmp_path: Path, uri: str) -> None:
    with pytest.raises(InvalidParameterValueError) as err:
        offline.artifacts.download(uri, tmp_path)
    assert uri in str(err.value) and err.value.field == "uri"


# ---- Databricks: credentials, signed URLs ------------------------------------------------------
def cred(url: str = SIGNED, kind: str = "AWS_PRESIGNED_URL", **headers: str) -> dict[str, Any]:
    return {"signed_uri": url, "type": kind, "headers": [{"name": k, "value": v} for k, v in headers.items()]}


@pytest.fixture
def dbx() -> MlflowClient:
    return MlflowClient(BASE, token="dapi-secret", backoff_factor=0.0, backoff_jitter=0.0, max_retries=2, timeout=5.0)


@responses.activate
def test_databricks_upload_puts_to_signed_urls_with_their_headers_only(dbx: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/runs/get", json=run_answer(DBFS_ROOT))
    write = responses.post(f"{API}/artifacts/credentials-for-write", json={"credential_infos": [
        cred(SIGNED + "/a?sig=1", **{"x-amz-server-side-encryption": "AES256"}),
        cred(SIGNED + "/e?sig=3"), cred(SIGNED + "/b?sig=2", "GCP_SIGNED_URL")]})  # fmt: skip
    put_a = responses.put(SIGNED + "/a")
    put_e = responses.put(SIGNED + "/e")
    put_b = responses.put(SIGNED + "/b")
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_bytes(b"alpha")
    (tmp_path / "d" / "sub" / "b.txt").write_bytes(b"beta")
    (tmp_path / "d" / "empty.bin").write_bytes(b"")
    stored = ["out/a.txt", "out/empty.bin", "out/sub/b.txt"]
    assert dbx.artifacts.upload("r1", tmp_path / "d", "out") == stored
    asked = json.loads(write.calls[0].request.body)
    assert asked == {"run_id": "r1", "path": stored}  # one request for the whole folder
    empty = put_e.calls[0].request  # S3 refuses a chunked body on a signed URL: an empty file is Content-Length 0
    assert empty.headers.get("Content-Length") == "0" and "Transfer-Encoding" not in empty.headers
    assert write.calls[0].request.headers["Authorization"] == "Bearer dapi-secret"
    sent = put_a.calls[0].request
    assert body_bytes(sent.body) == b"alpha" and sent.headers["x-amz-server-side-encryption"] == "AES256"
    assert "Authorization" not in sent.headers and "Authorization" not in put_b.calls[0].request.headers
    assert body_bytes(put_b.calls[0].request.body) == b"beta"


@responses.activate
def test_databricks_large_file_goes_multipart_and_renews_an_expired_part_url(
    dbx: MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "10")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "8")
    responses.get(f"{API}/runs/get", json=run_answer(DBFS_ROOT))
    responses.post(f"{API}/artifacts/credentials-for-write", json={"credential_infos": [cred()]})
    responses.post(f"{API}/artifacts/create-multipart-upload", json={
        "upload_id": "u1", "upload_credential_infos": [cred(SIGNED + f"?part={n}") for n in (1, 2, 3)],
        "abort_credential_info": cred(SIGNED + "?abort")})  # fmt: skip
    responses.put(SIGNED, match=[matchers.query_param_matcher({"part": "1"})], headers={"ETag": '"e1"'})
    expired = "<Error>Expired</Error>"
    responses.put(SIGNED, match=[matchers.query_param_matcher({"part": "2"})], status=403, body=expired)
    responses.get(f"{API}/artifacts/get-presigned-upload-part-url",
                  match=[matchers.query_param_matcher({"run_id": "r1", "path": "big.bin", "upload_id": "u1",
                                                       "part_number": "2"})],
                  json={"upload_credential_info": cred(SIGNED + "?part=2b")})  # fmt: skip
    responses.put(SIGNED, match=[matchers.query_param_matcher({"part": "2b"})], headers={"ETag": '"e2"'})
    responses.put(SIGNED, match=[matchers.query_param_matcher({"part": "3"})], headers={"ETag": '"e3"'})
    complete = responses.post(f"{API}/artifacts/complete-multipart-upload", json={})
    (tmp_path / "big.bin").write_bytes(b"0123456789abcdefXYZ")  # 19 bytes: parts of 8, 8, 3
    dbx.artifacts.upload("r1", tmp_path / "big.bin")
    parts = [body_bytes(c.request.body) for c in responses.calls if c.request.method == "PUT" and "Expired" not in
             (c.response.text if c.response is not None else "")]  # fmt: skip
    assert parts == [b"01234567", b"89abcdef", b"XYZ"]
    assert json.loads(complete.calls[0].request.body) == {"run_id": "r1", "path": "big.bin", "upload_id": "u1",
        "part_etags": [{"part_number": 1, "etag": '"e1"'}, {"part_number": 2, "etag": '"e2"'},
                       {"part_number": 3, "etag": '"e3"'}]}  # fmt: skip


@responses.activate
def test_databricks_failed_multipart_is_aborted(
    dbx: MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1")
    responses.get(f"{API}/runs/get", json=run_answer(DBFS_ROOT))
    responses.post(f"{API}/artifacts/credentials-for-write", json={"credential_infos": [cred()]})
    responses.post(f"{API}/artifacts/create-multipart-upload", json={
        "upload_id": "u1", "upload_credential_infos": [cred(SIGNED + "?part=1")],
        "abort_credential_info": cred(SIGNED + "?abort=1")})  # fmt: skip
    responses.put(SIGNED, status=500, body="<Error>InternalError</Error>")
    abort = responses.delete(SIGNED, status=204)
    (tmp_path / "f.bin").write_bytes(b"data")
    with pytest.raises(ServerError) as err:
        dbx.artifacts.upload("r1", tmp_path / "f.bin")
    assert len(abort.calls) == 1
    assert "?part=" not in str(err.value) and SIGNED not in str(err.value)  # signed URLs are secrets too
    assert "f.bin" in str(err.value)


@responses.activate
def test_databricks_azure_sas_uploads_blocks_then_the_block_list(dbx: MlflowClient, tmp_path: Path) -> None:
    sas = "https://acct.blob.core.windows.net/c/a.bin?sv=1&sig=s"
    responses.get(f"{API}/runs/get", json=run_answer(DBFS_ROOT))
    responses.post(f"{API}/artifacts/credentials-for-write",
                   json={"credential_infos": [cred(sas, "AZURE_SAS_URI", **{"x-ms-meta-a": "1"})]})  # fmt: skip
    put = responses.put("https://acct.blob.core.windows.net/c/a.bin", status=201)
    (tmp_path / "a.bin").write_bytes(b"abc")
    dbx.artifacts.upload("r1", tmp_path / "a.bin")
    urls = [c.request.url for c in put.calls]
    assert "comp=block&blockid=" in urls[0] and urls[1].endswith("comp=blocklist")
    assert body_bytes(put.calls[0].request.body) == b"abc" and b"<Latest>" in body_bytes(put.calls[1].request.body)
    assert all(c.request.headers["x-ms-meta-a"] == "1" for c in put.calls)


@responses.activate
def test_databricks_download_reads_through_read_credentials(dbx: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/runs/get", json=run_answer(DBFS_ROOT))
    read = responses.post(f"{API}/artifacts/credentials-for-read", json={"credential_infos": [cred(SIGNED + "?r=1")]})
    responses.get(SIGNED, body=b"model bytes")
    out = dbx.artifacts.download("r1", "model/model.pkl", tmp_path)
    assert out.read_bytes() == b"model bytes"
    assert json.loads(read.calls[0].request.body) == {"run_id": "r1", "path": ["model/model.pkl"]}


@responses.activate
def test_databricks_logged_model_uses_its_credential_routes(dbx: MlflowClient, tmp_path: Path) -> None:
    logged_model("m-9", "dbfs:/databricks/mlflow-tracking/7/logged_models/m-9/artifacts")
    up = responses.post(f"{API}/logged-models/m-9/artifacts/credentials-for-upload",
                        json={"credentials": [{"model_id": "m-9", "credential_info": cred()}]})  # fmt: skip
    responses.put(SIGNED)
    listing = responses.get(f"{API}/logged-models/m-9/artifacts/directories",
                            json={"files": [{"path": "MLmodel", "is_dir": False, "file_size": 3}]})  # fmt: skip
    (tmp_path / "MLmodel").write_text("yml")
    assert dbx.artifacts.upload("models:/m-9", tmp_path / "MLmodel") == ["MLmodel"]
    assert json.loads(up.calls[0].request.body) == {"paths": ["MLmodel"]}
    assert [f.path for f in dbx.artifacts.list_files("models:/m-9")] == ["MLmodel"]
    assert len(listing.calls) == 1


class _Broken(requests.Response):
    """A streamed answer whose body breaks off after its chunks (or arrives whole)."""

    def __init__(self, status: int, chunks: list[bytes], error: bool) -> None:
        super().__init__()
        self.status_code, self._chunks, self._error = status, chunks, error
        self.raw = io.BytesIO()  # closed when the answer is

    def iter_content(self, chunk_size: int | None = 1, decode_unicode: bool = False) -> Any:
        yield from self._chunks
        if self._error:
            raise requests.exceptions.ChunkedEncodingError("connection reset")


def test_signed_download_resumes_after_a_broken_body(dbx: MlflowClient, tmp_path: Path) -> None:
    from mlflowrest._artifact_stores import _signed

    answers = [_Broken(200, [b"whole "], error=True), _Broken(206, [b"file"], error=False)]
    sent: list[dict[str, str]] = []

    def send(method: str, url: str, path: str, *, signed_headers: dict[str, str], **kw: Any) -> Any:
        sent.append(dict(signed_headers))
        return answers.pop(0)

    dbx._transport.send = send  # type: ignore[method-assign,assignment]
    _signed.get_to_file(dbx._transport, SIGNED, "f.bin", {"x-h": "1"}, tmp_path / "f.bin", None)
    assert (tmp_path / "f.bin").read_bytes() == b"whole file"
    assert sent == [{"x-h": "1"}, {"x-h": "1", "Range": "bytes=6-"}]
    assert not (tmp_path / "f.bin.part").exists()


# ---- folders: names checked first, partial uploads reported --------------------------------------
@responses.activate
def test_folder_with_a_bad_name_uploads_nothing_and_names_the_file(offline: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/runs/get", json=run_answer(RUN_ROOT))
    for name in ("a.txt", "bad#name.txt", "z.txt"):
        (tmp_path / name).write_text(name)
    with pytest.raises(InvalidParameterValueError) as err:
        offline.artifacts.upload("r1", tmp_path, "d")
    assert "bad#name.txt" in str(err.value) and "nothing was uploaded" in str(err.value)
    assert err.value.field == "local_path" and err.value.limit
    assert not [c for c in responses.calls if c.request.method == "PUT"]


def test_overlong_name_is_refused_with_its_limit(tmp_path: Path) -> None:
    from mlflowrest._artifact_stores._names import check_names

    ok, long = "n" * 250 + ".txt", "é" * 128  # 254 bytes; 256 bytes in UTF-8
    check_names([(tmp_path / ok, f"d/{ok}")])
    with pytest.raises(InvalidParameterValueError) as err:
        check_names([(tmp_path / ok, f"d/{ok}"), (tmp_path / long, f"d/{long}")])
    assert err.value.limit == "max_name_bytes=255" and long in str(err.value)
    with pytest.raises(InvalidParameterValueError, match=re.escape("'..'")):
        check_names([(tmp_path / "x", "d/%2e%2e/x")])  # the server decodes before it checks
    for bad in ("d/a\\b.txt", "C:/x.txt"):
        with pytest.raises(InvalidParameterValueError, match="drive letter"):
            check_names([(tmp_path / "x", bad)])


@responses.activate
def test_failed_folder_upload_says_what_was_stored(offline: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/runs/get", json=run_answer(RUN_ROOT))
    responses.put(f"{PROXY}/0/r1/artifacts/d/a.txt", json={})
    failure = {"error_code": "INTERNAL_ERROR", "message": "disk"}
    responses.put(f"{PROXY}/0/r1/artifacts/d/b.txt", status=500, json=failure)
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(name)
    with pytest.raises(ServerError) as err:
        offline.artifacts.upload("r1", tmp_path, "d")
    assert err.value.stored == ["d/a.txt"]  # type: ignore[attr-defined]
    assert str(tmp_path / "b.txt") in str(err.value) and "after 1 of 3 files were stored" in str(err.value)
    assert err.value.http_status == 500 and err.value.error_code == "INTERNAL_ERROR"


def test_nested_tree_kept_in_a_local_store(offline: MlflowClient, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ("train/data.csv", "test/data.csv", "deep/er/x.bin"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(rel)
    store = open_store(offline, f"file://{tmp_path / 'root'}")
    files = [(p, "ds/" + p.relative_to(src).as_posix()) for p in sorted(src.rglob("*")) if p.is_file()]
    assert list(store.upload_files(files, None)) == [p for _, p in files]
    assert [(f.path, f.is_dir) for f in store.list("ds")] == [("ds/deep", True), ("ds/test", True), ("ds/train", True)]
    for rel in ("train/data.csv", "test/data.csv", "deep/er/x.bin"):
        assert (tmp_path / "root" / "ds" / rel).read_text() == rel


@responses.activate
def test_missing_object_behind_a_signed_url_is_resource_does_not_exist(dbx: MlflowClient, tmp_path: Path) -> None:
    responses.get(f"{API}/runs/get", json=run_answer(DBFS_ROOT))
    responses.post(
        f"{API}/artifacts/credentials-for-read", json={"credential_infos": [cred(SIGNED + "?X-Amz-Signature=s")]}
    )
    responses.get(
        SIGNED,
        status=404,
        content_type="application/xml",
        body="<?xml version='1.0'?><Error><Code>NoSuchKey</Code><Message>The key does not exist</Message></Error>",
    )
    responses.get(f"{API}/artifacts/list", json={})  # not a folder either
    with pytest.raises(ResourceDoesNotExistError) as err:
        dbx.artifacts.download("r1", "nope.txt", tmp_path)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST" and err.value.http_status == 404
    assert "The key does not exist" in str(err.value) and "X-Amz-Signature" not in str(err.value)


def test_unreachable_signed_url_error_keeps_the_signature_out(dbx: MlflowClient, tmp_path: Path) -> None:
    from mlflowrest import TransportError
    from mlflowrest._artifact_stores import _signed

    dbx.config.__dict__["max_retries"] = 0  # frozen dataclass: one try is enough here
    with pytest.raises(TransportError) as err:  # port 9 (discard) refuses on loopback
        _signed.get_to_file(dbx._transport, "http://127.0.0.1:9/obj?X-Amz-Signature=s3cr3t", "model.pkl", {},
                            tmp_path / "model.pkl", None)  # fmt: skip
    assert "s3cr3t" not in str(err.value) and err.value.path == "signed URL for model.pkl"
    assert not (tmp_path / "model.pkl").exists() and not (tmp_path / "model.pkl.part").exists()
