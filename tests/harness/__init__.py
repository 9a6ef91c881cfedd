"""Server harness shared by every language's tests, the benchmarks and the demo."""

from tests.harness.backends import BACKENDS, ArtifactBackend
from tests.harness.server import MlflowServer, free_port

__all__ = ["BACKENDS", "ArtifactBackend", "MlflowServer", "free_port"]
