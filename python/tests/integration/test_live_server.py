"""Every resource against one real MLflow server (the harness's, see conftest.py)."""

from __future__ import annotations

import hashlib
import math
import os
import time
import uuid
from pathlib import Path

import pytest

import mlflowrest
from mlflowrest import (
    InvalidParameterValueError,
    MlflowClient,
    ResourceAlreadyExistsError,
    ResourceDoesNotExistError,
    models,
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def run_id(live: MlflowClient) -> str:
    exp = live.experiments.get_or_create(unique("it"))
    run = live.runs.create(experiment_id=exp).run
    assert run is not None and run.info is not None and run.info.run_id
    return run.info.run_id


def test_experiment_lifecycle(live: MlflowClient) -> None:
    name = unique("exp")
    exp_id = live.experiments.create(name=name, tags=[models.ExperimentTag(key="team", value="ml")]).experiment_id
    assert exp_id
    got = live.experiments.get(experiment_id=exp_id).experiment
    assert got is not None and got.name == name
    assert {t.key: t.value for t in got.tags or []}["team"] == "ml"
    live.experiments.update(experiment_id=exp_id, new_name=name + "-renamed")
    found = live.experiments.get_by_name(experiment_name=name + "-renamed").experiment
    assert found is not None and found.experiment_id == exp_id
    live.experiments.set_tag(experiment_id=exp_id, key="k", value="v")
    live.experiments.delete_tag(experiment_id=exp_id, key="k")
    live.experiments.delete(experiment_id=exp_id)
    deleted = [e.experiment_id for e in live.experiments.search(view_type="DELETED_ONLY")]
    assert exp_id in deleted
    live.experiments.restore(experiment_id=exp_id)
    with pytest.raises(ResourceAlreadyExistsError):
        live.experiments.create(name=name + "-renamed")


def test_runs_params_metrics_tags_and_search(live: MlflowClient, run_id: str) -> None:
    live.runs.log_param(run_id=run_id, key="alpha", value="0.5")
    for value in (1.5, math.nan, math.inf, -math.inf):
        live.runs.log_metric(run_id=run_id, key="m", value=value, timestamp=int(time.time() * 1000), step=-3)
    live.runs.log_metric(run_id=run_id, key="big_step", value=1.0, timestamp=1, step=2**62)
    live.runs.set_tag(run_id=run_id, key="origin", value="python")
    history = list(live.metrics.get_history(run_id=run_id, metric_key="m"))
    values = [h.value for h in history]
    assert values[0] == 1.5 and math.isnan(values[1])
    # The SQL store clamps infinities to the largest double; the wire carried "Infinity".
    assert values[2] >= 1.79e308 and values[3] <= -1.79e308
    assert {h.step for h in history} == {-3}
    big = list(live.metrics.get_history(run_id=run_id, metric_key="big_step"))
    assert big[0].step == 2**62
    run = live.runs.get(run_id=run_id).run
    assert run is not None and run.data is not None and run.info is not None
    assert {p.key: p.value for p in run.data.params or []} == {"alpha": "0.5"}
    live.runs.update(run_id=run_id, status="FINISHED", end_time=int(time.time() * 1000))
    found = live.runs.search(experiment_ids=[run.info.experiment_id or ""], filter="params.alpha = '0.5'",
                             order_by=["start_time DESC"]).to_list()  # fmt: skip
    assert [r.info.run_id for r in found if r.info] == [run_id]
    live.runs.delete(run_id=run_id)
    with pytest.raises(InvalidParameterValueError):
        live.runs.log_param(run_id=run_id, key="late", value="x")  # writing to a deleted run
    live.runs.restore(run_id=run_id)


def test_log_batch_far_above_server_limits(live: MlflowClient, run_id: str) -> None:
    metrics = [models.Metric(key=f"k{i % 3}", value=float(i), timestamp=1000 + i, step=i) for i in range(3500)]
    params = [models.Param(key=f"p{i}", value=str(i)) for i in range(150)]
    tags = [models.RunTag(key=f"t{i}", value="v") for i in range(120)]
    live.runs.log_batch(run_id=run_id, metrics=metrics, params=params, tags=tags)
    run = live.runs.get(run_id=run_id).run
    assert run is not None and run.data is not None
    assert len(run.data.params or []) == 150
    assert len([t for t in run.data.tags or [] if t.key.startswith("t")]) == 120
    history = list(live.metrics.get_history(run_id=run_id, metric_key="k0", page_size=500))  # several pages
    assert len(history) == len(range(0, 3500, 3))


def test_concurrent_metric_chunks_all_land(live: MlflowClient, run_id: str) -> None:
    # Four requests in flight, each chunk bringing keys the run has not seen: the server races on
    # the first insert of a key's latest value and must still store every point once.
    metrics = [models.Metric(key=f"c{i // 700}", value=float(i), timestamp=1, step=i) for i in range(12_000)]
    live.runs.log_batch(run_id=run_id, metrics=metrics, concurrency=4)
    live.runs.log_batch(run_id=run_id, metrics=metrics[:3000], concurrency=4)  # resending stores nothing twice
    for key in ("c0", "c9", "c17"):
        history = list(live.metrics.get_history(run_id=run_id, metric_key=key, max_results=1000))
        assert sorted(int(m.step or 0) for m in history) == [i for i in range(12_000) if i // 700 == int(key[1:])]


def test_server_errors_are_typed(live: MlflowClient, run_id: str) -> None:
    with pytest.raises(ResourceDoesNotExistError) as info:
        live.runs.get(run_id="0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST" and info.value.http_status == 404
    live.runs.log_param(run_id=run_id, key="fixed", value="1")
    with pytest.raises(InvalidParameterValueError) as bad:
        live.runs.log_param(run_id=run_id, key="fixed", value="2")
    assert bad.value.http_status == 400


def test_model_registry(live: MlflowClient, run_id: str) -> None:
    name = unique("model")
    live.registered_models.create(name=name, tags=[models.RegisteredModelTag(key="owner", value="me")])
    version = live.model_versions.create(name=name, source=f"runs:/{run_id}/model", run_id=run_id).model_version
    assert version is not None and version.version == "1"
    live.registered_models.set_alias(name=name, alias="champion", version="1")
    by_alias = live.registered_models.get_version_by_alias(name=name, alias="champion").model_version
    assert by_alias is not None and by_alias.version == "1"
    moved = live.model_versions.transition_stage(name=name, version="1", stage="Staging",
                                                 archive_existing_versions=False).model_version  # fmt: skip
    assert moved is not None and moved.current_stage == "Staging"
    live.model_versions.set_tag(name=name, version="1", key="validated", value="yes")
    assert name in [m.name for m in live.registered_models.search(filter=f"name = '{name}'")]
    assert [v.version for v in live.model_versions.search(filter=f"name = '{name}'")] == ["1"]
    live.registered_models.rename(name=name, new_name=name + "-b")
    live.registered_models.delete_alias(name=name + "-b", alias="champion")
    live.model_versions.delete(name=name + "-b", version="1")
    live.registered_models.delete(name=name + "-b")
    with pytest.raises(ResourceDoesNotExistError):
        live.registered_models.get(name=name + "-b")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_artifacts_files_folders_large_and_non_ascii(live: MlflowClient, run_id: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "nested").mkdir(parents=True)
    (src / "nested" / "résumé 数据.txt").write_text("non-ascii names\n")
    (src / "empty.bin").write_bytes(b"")
    big = src / "big.bin"
    big.write_bytes(os.urandom(5 << 20))
    stored = live.artifacts.upload(run_id, src, "data")
    # A folder's contents land under artifact_path, as with MLflow's log_artifacts.
    assert sorted(stored) == sorted(["data/big.bin", "data/empty.bin", "data/nested/résumé 数据.txt"])
    names = {f.path for f in live.artifacts.list_files(run_id, "data")}
    assert names == {"data/big.bin", "data/empty.bin", "data/nested"}
    out = live.artifacts.download(run_id, "data", tmp_path / "out")
    for rel in ("big.bin", "empty.bin", "nested/résumé 数据.txt"):
        assert sha(out / rel) == sha(src / rel)
    single = live.artifacts.download(run_id, "data/big.bin", tmp_path / "one")
    assert sha(single) == sha(big)
    live.artifacts.delete_file(run_id, "data/empty.bin")
    assert "data/empty.bin" not in {f.path for f in live.artifacts.list_files(run_id, "data")}
    with pytest.raises(ResourceDoesNotExistError):
        live.artifacts.download(run_id, "data/missing.txt", tmp_path / "none")


def test_fluent_run_ends_failed_and_reraises(live: MlflowClient) -> None:
    run = mlflowrest.start_run(experiment_name=unique("fluent"), client=live)
    with pytest.raises(RuntimeError, match="boom"), run:
        run.log_param("a", 1)
        raise RuntimeError("boom")
    got = live.runs.get(run_id=run.run_id).run
    assert got is not None and got.info is not None and got.info.status == "FAILED"


def test_background_logger_batches_and_flushes(live: MlflowClient) -> None:
    with mlflowrest.start_run(experiment_name=unique("bg"), client=live, background=True) as run:
        for step in range(3000):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.flush()
        assert len(list(live.metrics.get_history(run_id=run.run_id, metric_key="loss"))) == 3000
        run.log_metric("after_flush", 1.0)
    got = live.runs.get(run_id=run.run_id).run
    assert got is not None and got.info is not None and got.info.status == "FINISHED"
    assert got.data is not None and {m.key for m in got.data.metrics or []} == {"loss", "after_flush"}


def test_logged_models_webhooks_traces_datasets_and_server_info(live: MlflowClient, run_id: str) -> None:
    exp = live.runs.get(run_id=run_id).run
    assert exp is not None and exp.info is not None and exp.info.experiment_id
    model = live.logged_models.create(experiment_id=exp.info.experiment_id, name="lm", source_run_id=run_id).model
    assert model is not None and model.info is not None and model.info.model_id
    fetched = live.logged_models.get(model.info.model_id).model
    assert fetched is not None and fetched.info is not None and fetched.info.name == "lm"
    assert isinstance(live.webhooks.list().to_list(), list)
    assert live.traces.search_v3(locations=[]).to_list() == []
    assert live.server.info() is not None
