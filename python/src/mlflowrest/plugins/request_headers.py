"""Request-header provider for the official mlflow client (entry point group
`mlflow.request_header_provider`): it adds what mlflowrest's transport adds to every request,
so a team that mixes both clients configures auth once.

Sent: `Authorization` from MLFLOW_TRACKING_TOKEN (Bearer) or MLFLOW_TRACKING_USERNAME /
_PASSWORD (Basic), or from the databricks profile, read the way mlflowrest reads them; and
every header of the `mlflowrest.request_header_providers` plugins (SSO tickets and the like).
When the official client has credentials of its own it sets Authorization after the plugins,
so its value wins; register SSO providers in mlflowrest's group only, since mlflow joins the
values of a header that two of its providers send.
"""

from __future__ import annotations

import logging
from typing import Any

from mlflowrest._config import Config
from mlflowrest._exceptions import MlflowError
from mlflowrest._transport import client_headers, header_providers

log = logging.getLogger("mlflowrest")


class MlflowRestHeaders:
    """mlflow instantiates this once and asks it before every request."""

    def __init__(self) -> None:
        self._providers: list[Any] = header_providers()

    def in_context(self) -> bool:
        return _config() is not None

    def request_headers(self) -> dict[str, str]:
        config = _config()
        return client_headers(config, self._providers) if config is not None else {}


def _config() -> Config | None:
    """mlflowrest's configuration for the URI the official client uses; None for a local store,
    or when mlflowrest cannot read it (a databricks login only the databricks SDK knows)."""
    uri = _tracking_uri()
    if not uri.startswith(("http://", "https://", "databricks")):
        return None
    try:
        return Config.from_env(uri)
    except MlflowError as exc:
        log.debug("mlflowrest headers not added: %s", exc)
        return None


def _tracking_uri() -> str:
    """The URI the official client is using (mlflow.set_tracking_uri() or MLFLOW_TRACKING_URI)."""
    import mlflow

    return str(mlflow.get_tracking_uri())
