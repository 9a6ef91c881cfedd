"""mlflowrest: a light, typed client for the MLflow REST API.

    from mlflowrest import MlflowClient, start_run
    client = MlflowClient()                      # MLFLOW_TRACKING_URI and friends
    with start_run(experiment_name="demo") as run:
        run.log_param("alpha", 0.5)
        run.log_metric("rmse", 0.78)

Names load on first use, so `import mlflowrest` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "MlflowClient": "mlflowrest._client",
    "Config": "mlflowrest._config",
    "start_run": "mlflowrest._fluent",
    "ActiveRun": "mlflowrest._fluent",
    "BackgroundLogger": "mlflowrest._background",
    "Page": "mlflowrest._resource",
    "models": "mlflowrest._generated.models",
    "MlflowError": "mlflowrest._exceptions",
    "TransportError": "mlflowrest._exceptions",
    "RequestTimeoutError": "mlflowrest._exceptions",
    "ApiError": "mlflowrest._exceptions",
    "InvalidParameterValueError": "mlflowrest._exceptions",
    "ResourceAlreadyExistsError": "mlflowrest._exceptions",
    "ResourceDoesNotExistError": "mlflowrest._exceptions",
    "UnauthenticatedError": "mlflowrest._exceptions",
    "PermissionDeniedError": "mlflowrest._exceptions",
    "ConflictError": "mlflowrest._exceptions",
    "RateLimitedError": "mlflowrest._exceptions",
    "ServerError": "mlflowrest._exceptions",
    "UnexpectedResponseError": "mlflowrest._exceptions",
    "JournalError": "mlflowrest._exceptions",
    "sync": "mlflowrest._journal._sync",
    "SyncReport": "mlflowrest._journal._sync",
}

__all__ = [
    "ActiveRun",
    "ApiError",
    "BackgroundLogger",
    "Config",
    "ConflictError",
    "InvalidParameterValueError",
    "JournalError",
    "MlflowClient",
    "MlflowError",
    "Page",
    "PermissionDeniedError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ResourceAlreadyExistsError",
    "ResourceDoesNotExistError",
    "ServerError",
    "SyncReport",
    "TransportError",
    "UnauthenticatedError",
    "UnexpectedResponseError",
    "models",
    "start_run",
    "sync",
]

if TYPE_CHECKING:
    from mlflowrest._background import BackgroundLogger
    from mlflowrest._client import MlflowClient
    from mlflowrest._config import Config
    from mlflowrest._exceptions import (
        ApiError,
        ConflictError,
        InvalidParameterValueError,
        JournalError,
        MlflowError,
        PermissionDeniedError,
        RateLimitedError,
        RequestTimeoutError,
        ResourceAlreadyExistsError,
        ResourceDoesNotExistError,
        ServerError,
        TransportError,
        UnauthenticatedError,
        UnexpectedResponseError,
    )  # fmt: skip
    from mlflowrest._fluent import ActiveRun, start_run
    from mlflowrest._generated import models
    from mlflowrest._journal._sync import SyncReport, sync
    from mlflowrest._resource import Page


def __dir__() -> list[str]:
    # The exports load lazily, so they are not in globals() until first used.
    return sorted(set(globals()) | set(__all__))


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mlflowrest' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    value = module if name == "models" else getattr(module, name)
    globals()[name] = value
    return value
