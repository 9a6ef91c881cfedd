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


# ---- the drift table of openapi/family-rules.yaml, decided once ----------------------------------
@pytest.mark.parametrize(("raw", "insecure"), [("1", True), ("TRUE", True), ("true", True), ("0", False), ("", False)])
def test_insecure_tls_spellings(raw: str, insecure: bool) -> None:
    env = {"MLFLOW_TRACKING_URI": "https://h", "MLFLOW_TRACKING_INSECURE_TLS": raw}
    assert Config.from_env(env=env).insecure_tls is insecure


def test_insecure_tls_typo_is_an_error_naming_the_variable() -> None:
    with pytest.raises(InvalidParameterValueError) as info:
        Config.from_env(env={"MLFLOW_TRACKING_URI": "https://h", "MLFLOW_TRACKING_INSECURE_TLS": "yes"})
    assert info.value.field == "MLFLOW_TRACKING_INSECURE_TLS"


def test_credentials_in_the_uri_move_to_basic_auth() -> None:
    cfg = Config.from_env("http://alice:s3cr%40t@h:5000/prefix", env={})
    assert (cfg.tracking_uri, cfg.username, cfg.password) == ("http://h:5000/prefix", "alice", "s3cr@t")
    assert "s3cr" not in repr(cfg)


def test_basic_wins_over_token() -> None:
    from mlflowrest._transport import _auth_header

    cfg = Config.from_env("http://h", env={"MLFLOW_TRACKING_TOKEN": "t", "MLFLOW_TRACKING_USERNAME": "u",
                                           "MLFLOW_TRACKING_PASSWORD": "p"})  # fmt: skip
    assert (_auth_header(cfg) or "").startswith("Basic ")


@pytest.mark.parametrize(
    ("var", "value"),
    [("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "-1"), ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "-0.5"),
     ("MLFLOW_HTTP_REQUEST_TIMEOUT", "0"), ("MLFLOWREST_BATCH_CONCURRENCY", "0")],
)  # fmt: skip
def test_out_of_bounds_numbers_are_rejected(var: str, value: str) -> None:
    with pytest.raises(InvalidParameterValueError) as info:
        Config.from_env("http://h", env={var: value})
    assert info.value.field == var and info.value.limit


def test_negative_argument_is_rejected_too() -> None:
    with pytest.raises(InvalidParameterValueError) as info:
        Config.from_env("http://h", env={}, max_retries=-2)
    assert info.value.field == "max_retries" and info.value.limit == ">= 0"


def test_missing_databricks_profile_is_an_error_even_with_databricks_host(tmp_path: Path) -> None:
    env = {"DATABRICKS_HOST": "https://c.example", "DATABRICKS_CONFIG_FILE": str(tmp_path / "none")}
    with pytest.raises(InvalidParameterValueError, match="no profile 'missing'"):
        Config.from_env("databricks://missing", env=env)


def test_databricks_environment_over_profile_field_by_field(tmp_path: Path) -> None:
    cfgfile = tmp_path / "databrickscfg"
    cfgfile.write_text("[DEFAULT]\nhost = https://profile.example\ntoken = from-profile\n")
    env = {"DATABRICKS_CONFIG_FILE": str(cfgfile), "DATABRICKS_TOKEN": "from-env"}
    cfg = Config.from_env("databricks", env=env)
    assert (cfg.tracking_uri, cfg.token) == ("https://profile.example", "from-env")


def test_key_rule_is_posix_on_every_os(monkeypatch: pytest.MonkeyPatch) -> None:
    """family-rules.yaml, keys: the server's posixpath rule, whatever os.path is (Windows: ntpath)."""
    import ntpath

    from mlflowrest import _fluent

    monkeypatch.setattr(_fluent.os, "path", ntpath)
    assert _fluent.check_key("train/loss") == "train/loss"
    for bad in ("a/./b", "a/../b", "../a", "/a", "a/", "a//b", "."):
        with pytest.raises(InvalidParameterValueError):
            _fluent.check_key(bad)
