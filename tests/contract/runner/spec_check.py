"""Validate one recorded HTTP exchange against openapi/mlflow.yaml."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[3] / "openapi" / "mlflow.yaml"
SPEC_URI = "urn:mlflowrest:spec"


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    operation: dict[str, Any]


class SpecChecker:
    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        self.spec = yaml.safe_load(spec_path.read_text())
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(self.spec, default_specification=DRAFT202012)
        )
        self.routes: list[Route] = []
        for template, item in self.spec["paths"].items():
            for method, op in item.items():
                # artifact_path spans slashes; other parameters are one segment.
                pattern = re.sub(
                    r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>.+)" if m[1] == "artifact_path" else f"(?P<{m[1]}>[^/]+)",
                    re.escape(template).replace(r"\{", "{").replace(r"\}", "}"),
                )  # fmt: skip
                self.routes.append(Route(method.upper(), template, re.compile(f"^{pattern}$"), op))
        # Literal routes before templated ones: /traces/search must not match /traces/{trace_id}.
        self.routes.sort(key=lambda r: r.template.count("{"))

    def find(self, method: str, path: str) -> Route | None:
        for route in self.routes:
            if route.method == method and route.regex.match(path):
                return route
        return None

    def _validate(self, schema: dict[str, Any], instance: Any) -> list[str]:
        validator = Draft202012Validator(schema, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message[:200]}"
                for e in validator.iter_errors(instance)]  # fmt: skip

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if ref and ref.startswith("#/"):
            return {"$ref": SPEC_URI + ref}
        return _rebase(schema)

    def check(self, method: str, path: str, query: dict[str, list[str]], req_type: str, req_body: bytes,
              status: int, resp_type: str, resp_body: bytes) -> tuple[str | None, list[str]]:  # fmt: skip
        """Returns (operationId or None, problems)."""
        route = self.find(method, path)
        if route is None:
            return None, [f"undocumented endpoint {method} {path}"]
        op = route.operation
        problems: list[str] = []
        documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        for name in query:
            if name not in documented:
                problems.append(f"undocumented query parameter {name!r}")
        for p in op.get("parameters", []):
            if p["in"] == "query" and p.get("required") and p["name"] not in query:
                problems.append(f"missing required query parameter {p['name']!r}")
        body_content = op.get("requestBody", {}).get("content", {})
        if req_body:
            if "application/json" in body_content:
                if "json" not in req_type:
                    problems.append(f"request content type {req_type!r}, spec wants application/json")
                else:
                    problems += ["request " + p for p in self._validate(
                        self._resolve(body_content["application/json"]["schema"]), json.loads(req_body))]  # fmt: skip
            elif not body_content:
                problems.append("request has a body the spec does not document")
        responses = op["responses"]
        spec_resp = responses.get(str(status)) or responses.get("default")
        if spec_resp is None:
            problems.append(f"undocumented status {status}")
            return op["operationId"], problems
        if "$ref" in spec_resp:
            spec_resp = self.spec["components"]["responses"][spec_resp["$ref"].rsplit("/", 1)[-1]]
        content = spec_resp.get("content") or {}
        media = resp_type.split(";")[0].strip()
        if content and resp_body:
            if media not in content and "*/*" not in content:
                problems.append(f"response content type {media!r} not in {sorted(content)}")
            elif media == "application/json":
                try:
                    body = json.loads(resp_body)
                except ValueError:
                    problems.append("response is not JSON")
                else:
                    problems += ["response " + p for p in self._validate(self._resolve(content[media]["schema"]), body)]
        return op["operationId"], problems


def _rebase(node: Any) -> Any:
    """Point local $refs of an inline schema at the registered spec."""
    if isinstance(node, dict):
        return {k: (SPEC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#/") else _rebase(v))
                for k, v in node.items()}  # fmt: skip
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node
