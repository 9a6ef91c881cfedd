"""Fixtures: an offline client for unit tests, one live harness server for integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mlflowrest import MlflowClient

BASE = "http://mlflow.test"


@pytest.fixture
def offline() -> MlflowClient:
    """A client for `responses`-mocked HTTP: no sleeping between retries."""
    return MlflowClient(BASE, backoff_factor=0.0, backoff_jitter=0.0, max_retries=3, timeout=5.0)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    from tests.harness import MlflowServer

    if os.environ.get("MLFLOWREST_TEST_URI"):
        yield os.environ["MLFLOWREST_TEST_URI"]
        return
    with MlflowServer() as server:
        print(f"\nharness server ready in {server.start_seconds:.1f} s at {server.url}")
        yield server.url


@pytest.fixture(scope="session")
def live(server_url: str) -> MlflowClient:
    return MlflowClient(server_url, backoff_factor=0.1, backoff_jitter=0.0)
