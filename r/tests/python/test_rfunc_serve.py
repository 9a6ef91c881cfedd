"""mlflow_rfunc_serve() seen from Python: the Pima model logged by R, served by an R
subprocess on 127.0.0.1, answers MLflow's scoring protocol with mlflow_predict()'s
predictions; Python's mlflow reads the signature and input example R wrote.

Needs MLFLOW_TRACKING_URI (a harness server: `make test-r` runs this under one) and
R_LIBS pointing at the installed package."""

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.skipif(not os.environ.get("MLFLOW_TRACKING_URI"), reason="needs a tracking server")

LOG_MODEL = r"""
suppressPackageStartupMessages(library(mlflowrest))
data("Pima.tr", package = "MASS"); data("Pima.te", package = "MASS")
set.seed(7)
# ntree odd: no tied votes, which predict() would break at random.
fit <- randomForest::randomForest(type ~ ., data = Pima.tr, ntree = 51)
mlflow_set_experiment("rfunc-serve")
with(mlflow_start_run(), {
  uri <- mlflow_log_model(mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit),
                          "model", input_example = Pima.te[1:3, 1:7])
})
expected <- as.character(mlflow_predict(mlflow_load_model(uri), Pima.te[, 1:7]))
out <- commandArgs(TRUE)[1]
jsonlite::write_json(list(uri = uri, predictions = expected,
                          columns = names(Pima.te)[1:7],
                          rows = unname(lapply(seq_len(nrow(Pima.te)), function(i) unname(as.list(Pima.te[i, 1:7]))))),
                     out, auto_unbox = TRUE, digits = NA)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    out = tmp_path_factory.mktemp("rfunc") / "logged.json"
    subprocess.run(["Rscript", "-e", LOG_MODEL, str(out)], check=True, timeout=300)
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def server(logged, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as sink:
        proc = subprocess.Popen(
            ["Rscript", "-e", f"mlflowrest::mlflow_rfunc_serve('{logged['uri']}', port = {port}, browse = FALSE)"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                if requests.get(url + "/ping", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the R scoring server did not come up:\n" + Path(log).read_text())
            time.sleep(0.25)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def invoke(url, body, content_type="application/json"):
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(url + "/invocations", data=data, headers={"Content-Type": content_type}, timeout=60)


def test_every_json_format_gives_mlflow_predicts_predictions(server, logged):
    columns, rows = logged["columns"], logged["rows"]
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    bodies = {
        "dataframe_split": {"dataframe_split": {"columns": columns, "data": rows}},
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": records},
        "inputs": {"inputs": {c: [row[i] for row in rows] for i, c in enumerate(columns)}},
    }
    for name, body in bodies.items():
        answer = invoke(server, body)
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json()["predictions"] == logged["predictions"], name


def test_csv_body(server, logged):
    lines = [",".join(logged["columns"])] + [",".join(str(v) for v in row) for row in logged["rows"]]
    answer = invoke(server, "\n".join(lines) + "\n", "text/csv")
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == logged["predictions"]


def test_bad_input_is_a_400_with_an_mlflow_error_body(server):
    answer = invoke(server, {"something_else": []})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "BAD_REQUEST"
    assert "dataframe_split" in answer.json()["message"]
    answer = invoke(server, {"dataframe_split": {"columns": ["nope"], "data": [[1]]}})
    assert answer.status_code == 400 and answer.json()["error_code"] == "BAD_REQUEST"
    assert invoke(server, "x", "text/plain").status_code == 415


def test_python_mlflow_reads_the_signature_and_example(logged):
    import mlflow.models

    info = mlflow.models.get_model_info(logged["uri"])
    assert info.flavors["crate"]["model"] == "crate.bin"
    assert info.signature.inputs.input_names() == logged["columns"]
    assert info.saved_input_example_info is not None
    assert info.saved_input_example_info["type"] == "dataframe"
