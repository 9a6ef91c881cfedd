from __future__ import annotations

from pathlib import Path

import pytest

from mlflowrest import Config, InvalidParameterValueError


def test_env_variables_are_read() -> None:
    env = {
        "MLFLOW_TRACKING_URI": "http://h:5000/",
        "MLFLOW_TRACKING_USERNAME": "u",
        "MLFLOW_TRACKING_PASSWORD": "p",
        "MLFLOW_TRACKING_INSECURE_TLS": "true",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "7.5",
    }
    cfg = Config.from_env(env=env)
    assert (cfg.tracking_uri, cfg.username, cfg.password, cfg.insecure_tls) == ("http://h:5000", "u", "p", True)
    assert (cfg.max_retries, cfg.timeout) == (2, 7.5)


def test_databricks_profile_and_env(tmp_path: Path) -> None:
    cfgfile = tmp_path / "databrickscfg"
    cfgfile.write_text("[DEFAULT]\nhost = https://a.example\ntoken = t1\n\n[prod]\nhost = b.example\ntoken = t2\n")
    env = {"DATABRICKS_CONFIG_FILE": str(cfgfile)}
    assert Config.from_env("databricks", env=env).tracking_uri == "https://a.example"
    prod = Config.from_env("databricks://prod", env=env)
    assert (prod.tracking_uri, prod.token) == ("https://b.example", "t2")
    only_env = Config.from_env("databricks", env={"DATABRICKS_HOST": "https://c.example", "DATABRICKS_TOKEN": "t3",
                                                  "DATABRICKS_CONFIG_FILE": str(tmp_path / "none")})  # fmt: skip
    assert (only_env.tracking_uri, only_env.token) == ("https://c.example", "t3")
    with pytest.raises(InvalidParameterValueError, match="no profile 'dev'"):
        Config.from_env("databricks://dev", env=env)


@pytest.mark.parametrize("uri", ["localhost:5000", "ftp://h", "http://", "file:///tmp/mlruns"])
def test_malformed_uris_are_named(uri: str) -> None:
    with pytest.raises(InvalidParameterValueError) as info:
        Config.from_env(uri, env={})
    assert info.value.field == "tracking_uri"


def test_missing_uri() -> None:
    with pytest.raises(InvalidParameterValueError, match="MLFLOW_TRACKING_URI"):
        Config.from_env(env={})
