"""Server harness shared by every language's tests, the benchmarks and the demo."""

from tests.harness.server import MlflowServer, free_port

__all__ = ["MlflowServer", "free_port"]
