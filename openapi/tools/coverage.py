"""Compare openapi/mlflow.yaml with the pinned server's own route table.

Prints `spec coverage: N/M routes (K excluded)` and the missing routes by family. Fails when a
route is neither in the spec nor excluded, when the spec documents a route the server does
not serve, or when an exclusion prefix matches nothing. Operations marked
`x-mlflowrest-databricks` are served by Databricks only and are not counted.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def canonical(path: str) -> str:
    """Both <path:x> (Flask) and {x} (OpenAPI) become {}."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def server_routes() -> set[tuple[str, str]]:
    from mlflow.server.handlers import get_endpoints

    routes: set[tuple[str, str]] = set()
    for path, _handler, methods in get_endpoints():
        if path.startswith("/api/"):
            routes.update((m.upper(), canonical(path)) for m in methods)
    # server-info is registered on the app itself, beside the RPC routes.
    from mlflow.server import app

    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and "server-info" in rule.rule:
            routes.update((m, canonical(rule.rule)) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"})
    return routes


def main() -> int:
    spec = yaml.safe_load((ROOT / "openapi" / "mlflow.yaml").read_text())
    excluded = yaml.safe_load((ROOT / "openapi" / "excluded-routes.yaml").read_text())
    documented = {(m.upper(), canonical(p)) for p, item in spec["paths"].items() for m, op in item.items()
                  if not op.get("x-mlflowrest-databricks")}  # fmt: skip
    databricks = sum(1 for item in spec["paths"].values() for op in item.values() if op.get("x-mlflowrest-databricks"))
    routes = server_routes()
    covered = routes & documented
    unused_prefixes = {e["prefix"] for e in excluded}
    excluded_routes = set()
    for route in routes - documented:
        for e in excluded:
            if route[1].startswith(e["prefix"]):
                excluded_routes.add(route)
                unused_prefixes.discard(e["prefix"])
    missing = routes - documented - excluded_routes
    phantom = documented - routes
    print(f"spec coverage: {len(covered)}/{len(routes)} routes ({len(excluded_routes)} excluded; "
          f"{databricks} Databricks-only operations not counted)")  # fmt: skip
    by_family: dict[str, list[str]] = defaultdict(list)
    for m, p in sorted(missing):
        by_family[p.split("/")[4] if len(p.split("/")) > 4 else p].append(f"{m} {p}")
    for fam, rows in sorted(by_family.items()):
        print(f"  missing in {fam}:")
        for r in rows:
            print(f"    {r}")
    for m, p in sorted(phantom):
        print(f"  documented but not served: {m} {p}")
    for prefix in sorted(unused_prefixes):
        print(f"  stale exclusion (matches no route): {prefix}")
    return 1 if missing or phantom or unused_prefixes else 0


if __name__ == "__main__":
    sys.exit(main())
