"""The client: configuration, one transport, and the resources as lazy attributes."""

from __future__ import annotations

import os
import weakref
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mlflowrest._config import Config
from mlflowrest._generated.client_resources import GeneratedResources
from mlflowrest._transport import Transport

# Resources (and the generated models behind them) load on first use, so building a client
# stays cheap; a script that only logs metrics never loads the registry's code. Every resource
# of the spec is a property of GeneratedResources; these three extend theirs by hand.
if TYPE_CHECKING:
    from mlflowrest.resources.artifacts import ArtifactsResource
    from mlflowrest.resources.experiments import ExperimentsResource
    from mlflowrest.resources.runs import RunsResource


class MlflowClient(GeneratedResources):
    """`MlflowClient()` reads MLFLOW_TRACKING_URI and MLflow's other variables; keyword
    arguments (tracking_uri, token, username, password, timeout, max_retries, ...) override them."""

    def __init__(self, tracking_uri: str | None = None, *, config: Config | None = None, **overrides: Any) -> None:
        self.config = config or Config.from_env(tracking_uri, **overrides)
        self._transport = self._connect()
        _LIVE.add(self)

    # A client built on a Spark driver travels to executors by pickle, and a forked worker must
    # not share the parent's pooled sockets: both get a fresh transport from the same config.
    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(config=state["config"])  # type: ignore[misc]

    def _connect(self) -> Transport:
        transport = Transport(self.config)
        if self.config.journal_dir:  # a forked child gets its own journal file, as its own pool
            from mlflowrest._journal._recorder import Journal

            transport.journal = Journal(self)
        return transport

    def _reconnect(self) -> None:
        self._transport = self._connect()

    def __repr__(self) -> str:
        return f"MlflowClient({self.config!r})"

    def close(self) -> None:
        if self._transport.journal is not None:
            self._transport.journal.close()
        self._transport.close()

    def __enter__(self) -> MlflowClient:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def run_url(self, experiment_id: str, run_id: str) -> str:
        return f"{self.config.tracking_uri}/#/experiments/{experiment_id}/runs/{run_id}"

    @cached_property
    def experiments(self) -> ExperimentsResource:
        from mlflowrest.resources.experiments import ExperimentsResource

        return ExperimentsResource(self)

    @cached_property
    def runs(self) -> RunsResource:
        from mlflowrest.resources.runs import RunsResource

        return RunsResource(self)

    @cached_property
    def artifacts(self) -> ArtifactsResource:
        from mlflowrest.resources.artifacts import ArtifactsResource

        return ArtifactsResource(self)


_LIVE: weakref.WeakSet[MlflowClient] = weakref.WeakSet()


def _reconnect_all() -> None:
    for client in list(_LIVE):
        client._reconnect()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reconnect_all)
