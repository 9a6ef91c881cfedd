"""Optional dependencies, imported only when a URI of their scheme is met."""

from __future__ import annotations

import importlib
from types import ModuleType

from mlflowrest import _exceptions as errors


def require(module: str, extra: str, scheme: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise errors.MlflowError(
            f"{scheme} artifacts need the {module} package: pip install 'mlflowrest[{extra}]'"
        ) from None
