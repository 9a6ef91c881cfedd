"""Build openapi/mlflow.yaml from the protobuf descriptors of the pinned mlflow package.

The installed wheel carries every RPC's HTTP method and path (the `databricks.rpc` option),
every message, which request fields the server requires (`validate_required`), the limits
(`mlflow.utils.validation`) and the error-code -> HTTP status table (`mlflow.exceptions`).
What the descriptors cannot say (binary artifact bodies, routes registered outside the
protos) comes from openapi/overlay.yaml. Run: python openapi/tools/build_spec.py
"""

from __future__ import annotations

import copy
import importlib
import re
import sys
from pathlib import Path
from typing import Any, cast

import yaml
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from handlers import field_schema as handler_field_schema
from handlers import handler_schema, required_fields

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "mlflow.yaml"
OVERLAY = ROOT / "openapi" / "overlay.yaml"
FAMILIES = ROOT / "openapi" / "families.yaml"

PROTO_MODULES = ["service_pb2", "model_registry_pb2", "webhooks_pb2", "mlflow_artifacts_pb2"]
# Served by Databricks only, never by the open-source server: the artifact credential API that
# dbfs:/databricks/mlflow-tracking roots need. A separate, marked section (families.yaml
# `databricks:`, tag and `x-mlflowrest-databricks: true` on each operation, operationIds prefixed
# `databricks`), which coverage.py and the schemathesis run leave out.
DATABRICKS_MODULES = ["databricks_artifacts_pb2"]

# The server's key rule (mlflow.utils.validation.validate_param_and_metric_name, POSIX).
KEY_PATTERN = r"^[/\w.\- :]*$"

F = FieldDescriptor
SCALARS: dict[int, dict[str, Any]] = {
    F.TYPE_STRING: {"type": "string"},
    F.TYPE_BOOL: {"type": "boolean"},
    F.TYPE_INT32: {"type": "integer", "format": "int32"},
    F.TYPE_SINT32: {"type": "integer", "format": "int32"},
    F.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    F.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    F.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    F.TYPE_INT64: {"type": "integer", "format": "int64"},
    F.TYPE_SINT64: {"type": "integer", "format": "int64"},
    F.TYPE_SFIXED64: {"type": "integer", "format": "int64"},
    F.TYPE_UINT64: {"type": "integer", "format": "int64", "minimum": 0},
    F.TYPE_FIXED64: {"type": "integer", "format": "int64", "minimum": 0},
    F.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
    # Doubles are numbers, or the strings protobuf's JSON uses for NaN and +/-infinity.
    F.TYPE_DOUBLE: {"$ref": "#/components/schemas/Double"},
    F.TYPE_FLOAT: {"$ref": "#/components/schemas/Double"},
}

WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Any": {"type": "object"},
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Int64Value": {"type": "integer", "format": "int64"},
    "google.protobuf.Int32Value": {"type": "integer", "format": "int32"},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.DoubleValue": {"$ref": "#/components/schemas/Double"},
}


def schema_name(full_name: str) -> str:
    """mlflow.CreateRun.Response -> CreateRunResponse; mlflow.artifacts.FileInfo -> ArtifactsFileInfo."""
    parts = full_name.split(".")
    if parts[0] == "mlflow":
        parts = parts[1:]
    # Package names are snake_case (mlflow.label_schemas): their words are capitalised too.
    return "".join(w[:1].upper() + w[1:] for p in parts for w in p.split("_"))


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    s = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", s)
    return s.lower()


class Builder:
    def __init__(self, limits: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = {}
        self.pending: list[Descriptor | EnumDescriptor] = []
        self.limits = limits

    # ---- schemas -------------------------------------------------------------------------
    def ref(self, desc: Descriptor | EnumDescriptor) -> dict[str, Any]:
        name = schema_name(desc.full_name)
        if name not in self.schemas:
            self.schemas[name] = None  # reserve, filled below
            self.pending.append(desc)
        return {"$ref": f"#/components/schemas/{name}"}

    def field_schema(self, f: FieldDescriptor) -> dict[str, Any]:
        if f.type == F.TYPE_MESSAGE:
            msg = f.message_type
            if msg.GetOptions().map_entry:
                value_field = msg.fields_by_name["value"]
                return {"type": "object", "additionalProperties": self.field_schema(value_field)}
            item = copy.deepcopy(WELL_KNOWN[msg.full_name]) if msg.full_name in WELL_KNOWN else self.ref(msg)
        elif f.type == F.TYPE_ENUM:
            item = self.ref(f.enum_type)
        else:
            item = copy.deepcopy(SCALARS[f.type])
        if f.is_repeated:
            return {"type": "array", "items": item}
        return item

    def drain(self) -> None:
        while self.pending:
            desc = self.pending.pop()
            name = schema_name(desc.full_name)
            if isinstance(desc, EnumDescriptor):
                self.schemas[name] = {"type": "string", "enum": [v.name for v in desc.values]}
            else:
                self.schemas[name] = self.message_schema(desc)

    def message_schema(self, desc: Descriptor, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        from mlflow.protos import databricks_pb2

        props: dict[str, Any] = {}
        required: list[str] = []
        for f in desc.fields:
            if f.name in skip:
                continue
            props[f.name] = self.field_schema(f)
            if f.has_default_value and not f.is_repeated and f.type != F.TYPE_MESSAGE:
                # proto2 default: what the server assumes when the field is absent.
                default = f.default_value
                if f.type == F.TYPE_ENUM:
                    default = f.enum_type.values_by_number[default].name
                props[f.name]["default"] = default
            if f.GetOptions().Extensions[databricks_pb2.validate_required]:
                required.append(f.name)
        out: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        self.apply_limits(desc.full_name, props)
        return out

    def apply_limits(self, full_name: str, props: dict[str, Any]) -> None:
        """Put the server's per-field limits (from mlflow.utils.validation) on the schemas."""
        lim = self.limits
        rules: dict[str, dict[str, dict[str, Any]]] = {
            "mlflow.Metric": {"key": {"maxLength": lim["max_entity_key_length"], "pattern": KEY_PATTERN}},
            "mlflow.Param": {
                "key": {"maxLength": lim["max_entity_key_length"], "pattern": KEY_PATTERN},
                "value": {"maxLength": lim["max_param_value_length"]},
            },
            "mlflow.RunTag": {
                "key": {"maxLength": lim["max_entity_key_length"], "pattern": KEY_PATTERN},
                "value": {"maxLength": lim["max_tag_value_length"]},
            },
            "mlflow.LogMetric": {"key": {"maxLength": lim["max_entity_key_length"], "pattern": KEY_PATTERN}},
            "mlflow.LogParam": {
                "key": {"maxLength": lim["max_entity_key_length"], "pattern": KEY_PATTERN},
                "value": {"maxLength": lim["max_param_value_length"]},
            },
            "mlflow.SetTag": {
                "key": {"maxLength": lim["max_entity_key_length"], "pattern": KEY_PATTERN},
                "value": {"maxLength": lim["max_tag_value_length"]},
            },
            "mlflow.CreateExperiment": {"name": {"minLength": 1, "maxLength": lim["max_experiment_name_length"]}},
            "mlflow.SetExperimentTag": {
                "key": {"maxLength": lim["max_experiment_tag_key_length"]},
                "value": {"maxLength": lim["max_experiment_tag_value_length"]},
            },
            "mlflow.SetRegisteredModelTag": {
                "key": {"maxLength": lim["max_model_registry_tag_key_length"]},
                "value": {"maxLength": lim["max_model_registry_tag_value_length"]},
            },
            "mlflow.SetModelVersionTag": {
                "key": {"maxLength": lim["max_model_registry_tag_key_length"]},
                "value": {"maxLength": lim["max_model_registry_tag_value_length"]},
            },
            "mlflow.SetRegisteredModelAlias": {
                "alias": {"maxLength": lim["max_registered_model_alias_length"], "pattern": r"^[\w\-]*$"},
            },
            "mlflow.LogBatch": {
                "metrics": {"maxItems": lim["max_metrics_per_batch"]},
                "params": {"maxItems": lim["max_params_tags_per_batch"]},
                "tags": {"maxItems": lim["max_params_tags_per_batch"]},
            },
        }
        for field, constraint in rules.get(full_name, {}).items():
            if field in props:
                props[field].update(constraint)

    # ---- operations ----------------------------------------------------------------------
    def operation(self, rpc: Any, method: str, path: str, also_required: list[str]) -> dict[str, Any]:
        """also_required: fields the server's handler asserts beyond the proto's validate_required."""
        path_params = re.findall(r"\{(\w+)\}", path)
        req: Descriptor = rpc.input_type
        op: dict[str, Any] = {}
        params: list[dict[str, Any]] = []
        for p in path_params:
            params.append({"name": p, "in": "path", "required": True, "schema": {"type": "string"}})
        skip = frozenset(path_params)
        if method != "GET":
            # A handler that asserts a path parameter reads it from the body (updateIssue): it
            # travels in both.
            skip -= frozenset(also_required)
        if method == "GET":
            for f in req.fields:
                if f.name in skip:
                    continue
                schema = self.field_schema(f)
                param: dict[str, Any] = {"name": f.name, "in": "query", "schema": schema}
                if f.type == F.TYPE_MESSAGE and not f.message_type.GetOptions().map_entry:
                    # A message in a query string travels as JSON text.
                    param = {"name": f.name, "in": "query", "content": {"application/json": {"schema": schema}}}
                from mlflow.protos import databricks_pb2

                if f.GetOptions().Extensions[databricks_pb2.validate_required] or f.name in also_required:
                    param["required"] = True
                if f.is_repeated:
                    param["style"] = "form"
                    param["explode"] = True
                params.append(param)
        else:
            body = self.message_schema(req, skip)
            extra = [f for f in also_required if f in body["properties"] and f not in body.get("required", [])]
            if extra:
                body["required"] = body.get("required", []) + extra
            self.drain()
            name = schema_name(req.full_name)
            if skip:
                name += "Body"
            self.schemas[name] = body
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
            }
        if params:
            op["parameters"] = params
        op["responses"] = {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": self.ref(rpc.output_type)}},
            },
            "default": {"$ref": "#/components/responses/Error"},
        }
        return op


def naming(rpc_name: str, family: dict[str, Any]) -> str:
    """Method name inside its resource: createExperiment -> create, setExperimentTag -> set_tag."""
    words = snake(rpc_name).split("_")
    drop = set(family.get("nouns", []))
    kept = [w for w in words if w not in drop] or words[:1]
    return "_".join(kept)


def load_limits() -> dict[str, Any]:
    from mlflow.utils import validation as v

    return {
        "max_metrics_per_batch": v.MAX_METRICS_PER_BATCH,
        "max_params_tags_per_batch": v.MAX_PARAMS_TAGS_PER_BATCH,
        "max_entities_per_batch": v.MAX_ENTITIES_PER_BATCH,
        "max_batch_request_bytes": v.MAX_BATCH_LOG_REQUEST_SIZE,
        "max_datasets_per_batch": v.MAX_DATASETS_PER_BATCH,
        "max_entity_key_length": v.MAX_ENTITY_KEY_LENGTH,
        "max_param_value_length": v.MAX_PARAM_VAL_LENGTH,
        "max_tag_value_length": v.MAX_TAG_VAL_LENGTH,
        "max_experiment_name_length": v.MAX_EXPERIMENT_NAME_LENGTH,
        "max_experiment_tag_key_length": v.MAX_EXPERIMENT_TAG_KEY_LENGTH,
        "max_experiment_tag_value_length": v.MAX_EXPERIMENT_TAG_VAL_LENGTH,
        "max_model_registry_tag_key_length": v.MAX_MODEL_REGISTRY_TAG_KEY_LENGTH,
        "max_model_registry_tag_value_length": v.MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH,
        "max_registered_model_alias_length": v.MAX_REGISTERED_MODEL_ALIAS_LENGTH,
        "max_trace_tag_key_length": v.MAX_TRACE_TAG_KEY_LENGTH,
        "max_trace_tag_value_length": v.MAX_TRACE_TAG_VAL_LENGTH,
        "max_results_search_runs": 50000,
        "max_results_search_experiments": v.MAX_EXPERIMENTS_LISTED_PER_PAGE,
        "max_results_search_registered_models": 1000,
        "metric_history_page_size": 25000,
        "key_pattern": KEY_PATTERN,
        "run_id_pattern": v._RUN_ID_REGEX.pattern,
        "experiment_id_pattern": v._EXPERIMENT_ID_REGEX.pattern,
        "alias_pattern": v._REGISTERED_MODEL_ALIAS_REGEX.pattern,
    }


def family_of(path: str, section: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for name, fam in section.items():
        if any(path.startswith(prefix) for prefix in fam["prefixes"]):
            return name, fam
    return None


def build() -> dict[str, Any]:
    import mlflow
    from mlflow.exceptions import ERROR_CODE_TO_HTTP_STATUS
    from mlflow.protos import databricks_pb2

    pinned = (ROOT / "MLFLOW_VERSION").read_text().strip()
    if mlflow.__version__ != pinned:
        sys.exit(f"installed mlflow {mlflow.__version__} != pinned {pinned}; run `make setup`")
    families = yaml.safe_load(FAMILIES.read_text())
    overlay = yaml.safe_load(OVERLAY.read_text())
    limits = load_limits()
    b = Builder(limits)
    from mlflow.server.handlers import HANDLERS

    # The server's handler of each request message, by the message's full name.
    handlers = {cast(Any, cls).DESCRIPTOR.full_name: h for cls, h in HANDLERS.items()}
    paths: dict[str, dict[str, Any]] = {}
    seen_ids: dict[str, str] = {}
    seen_names: dict[tuple[str, str], str] = {}
    sections = [(m, families["include"], False) for m in PROTO_MODULES]
    sections += [(m, families["databricks"], True) for m in DATABRICKS_MODULES]
    for modname, section, databricks_only in sections:
        mod = importlib.import_module(f"mlflow.protos.{modname}")
        for service in mod.DESCRIPTOR.services_by_name.values():
            for rpc in service.methods:
                endpoints = rpc.GetOptions().Extensions[databricks_pb2.rpc].endpoints
                for index, ep in enumerate(endpoints):
                    # Kept as served: searchDatasets' proto path lacks its "/", so the server
                    # answers on /api/2.0mlflow/experiments/search-datasets.
                    path = f"/api/{ep.since.major}.0" + ep.path
                    path = re.sub(r"<path:(\w+)>", r"{\1}", path)
                    path = re.sub(r"\{[\w.]*?(\w+)\}", r"{\1}", path)  # {assessment.trace_id} -> {trace_id}
                    fam = family_of(path, section)
                    if fam is None:
                        continue
                    fam_name, fam_def = fam
                    op_id = families.get("operation_ids", {}).get(rpc.full_name) or lower_camel(rpc.name)
                    if databricks_only:
                        op_id = "databricks" + rpc.name[:1].upper() + rpc.name[1:]
                    also_required = required_fields(handlers.get(rpc.input_type.full_name)) \
                        if fam_def.get("required_from_handler") else []  # fmt: skip
                    op = b.operation(rpc, ep.method, path, also_required)
                    method_name = families.get("overrides", {}).get(op_id) or naming(rpc.name, fam_def)
                    if index > 0:
                        # Same RPC served again under another method: an alias of the first.
                        op["x-mlflowrest-alias-of"] = op_id
                        op_id = f"{op_id}Via{ep.method.capitalize()}"
                    else:
                        key = (fam_def["resource"], method_name)
                        if key in seen_names:
                            sys.exit(f"name clash {key}: {op_id} and {seen_names[key]}; add an override")
                        seen_names[key] = op_id
                    if op_id in seen_ids:
                        sys.exit(f"duplicate operationId {op_id}")
                    seen_ids[op_id] = path
                    op = {
                        "operationId": op_id,
                        "tags": [fam_name],
                        "x-mlflowrest-resource": fam_def["resource"],
                        "x-mlflowrest-method": method_name,
                        **({"x-mlflowrest-databricks": True} if databricks_only else {}),
                        **op,
                    }
                    paths.setdefault(path, {})[ep.method.lower()] = op
    b.drain()
    handler_routes(paths, families["include"], b.schemas, seen_ids)

    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "MLflow REST API",
            "version": pinned,
            "description": (
                "GENERATED by openapi/tools/build_spec.py from the protobuf descriptors of "
                f"mlflow=={pinned} plus openapi/overlay.yaml. Do not edit; run `make generate`."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:5000"}],
        "x-mlflow-limits": limits,
        "x-mlflow-error-codes": dict(sorted(ERROR_CODE_TO_HTTP_STATUS.items())),
        "tags": [{"name": n, "description": f["description"]}
                 for n, f in (families["include"] | families["databricks"]).items()],
        "paths": {},
        "components": {
            "schemas": {
                "Double": {
                    "description": "A double; NaN and infinities travel as the strings protobuf's JSON uses.",
                    "anyOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}],
                },
                # The server's outer ASGI layer (FastAPI) answers a path no route matches, e.g. a path
                # parameter holding a newline, with its own JSON: 404 {"detail": "Not Found"}.
                "RoutingError": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {"detail": {}},
                },
                "ErrorResponse": {
                    "type": "object",
                    "required": ["error_code"],
                    "properties": {
                        "error_code": {"type": "string", "enum": sorted(ERROR_CODE_TO_HTTP_STATUS)},
                        "message": {"type": "string"},
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": (
                        "An MLflow error; the HTTP status follows x-mlflow-error-codes. Routing errors answer"
                        " {detail}; crashes and auth or proxy layers answer with HTML or plain text."
                    ),
                    "content": {
                        "application/json": {
                            "schema": {
                                "anyOf": [
                                    {"$ref": "#/components/schemas/ErrorResponse"},
                                    {"$ref": "#/components/schemas/RoutingError"},
                                ]
                            }
                        },
                        "text/html": {"schema": {"type": "string"}},
                        "text/plain": {"schema": {"type": "string"}},
                    },
                }
            },
        },
    }
    spec["components"]["schemas"].update(dict(sorted((k, v) for k, v in b.schemas.items() if v is not None)))
    merge_overlay(paths, spec, overlay)
    spec["paths"] = dict(sorted(paths.items()))
    return spec


def handler_routes(
    paths: dict[str, Any], section: dict[str, Any], schemas: dict[str, Any], seen: dict[str, str]
) -> None:
    """Routes the server registers outside the protos whose handler validates a `schema=`
    (the online-scoring configs): the request from that schema, the answer from the overlay."""
    from mlflow.server import handlers as server

    proto_handlers = set(server.HANDLERS.values())
    for path, handler, methods in cast(Any, server).get_endpoints():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        fam = family_of(path, section) if path.startswith("/api/") and handler not in proto_handlers else None
        schema = handler_schema(handler) if fam else None
        if fam is None or schema is None or any(m.lower() in paths.get(path, {}) for m in methods):
            continue
        op_id = lower_camel("".join(w.capitalize() for w in handler.__name__.strip("_").split("_")))
        if op_id in seen:
            sys.exit(f"duplicate operationId {op_id}")
        seen[op_id] = path
        name = schema_name(op_id)
        props = {field: handler_field_schema(validators) for field, validators in schema.items()}
        required = [field for field, validators in schema.items() if "_assert_required" in validators]
        for method in methods:
            op: dict[str, Any] = {
                "operationId": op_id,
                "tags": [fam[0]],
                "x-mlflowrest-resource": fam[1]["resource"],
                "x-mlflowrest-method": naming(op_id, fam[1]),
                "x-mlflowrest-outside-protos": True,
            }
            if method == "GET":
                op["parameters"] = [
                    {"name": f, "in": "query", "schema": props[f], **({"required": True} if f in required else {}),
                     **({"style": "form", "explode": True} if props[f].get("type") == "array" else {})}
                    for f in props
                ]  # fmt: skip
            else:
                schemas[name] = {"type": "object", "properties": props, **({"required": required} if required else {})}
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                }
            # The handler builds its answer with json.dumps: the overlay gives its shape.
            op["responses"] = {"200": {"description": "OK"}, "default": {"$ref": "#/components/responses/Error"}}
            paths.setdefault(path, {})[method.lower()] = op


def merge_overlay(paths: dict[str, Any], spec: dict[str, Any], overlay: dict[str, Any]) -> None:
    """Deep-merge the hand-written overlay: operation patches by operationId, extra paths, schemas."""
    by_id = {op["operationId"]: op for item in paths.values() for op in item.values()}
    for op_id, patch in (overlay.get("operations") or {}).items():
        if op_id not in by_id:
            sys.exit(f"overlay patches unknown operation {op_id}")
        deep_merge(by_id[op_id], patch)
    for path, item in (overlay.get("paths") or {}).items():
        paths.setdefault(path, {}).update(item)
    for name, dotted in (overlay.get("entities") or {}).items():
        spec["components"]["schemas"][name] = dataclass_schema(dotted)
    for name, patch in (overlay.get("schemas") or {}).items():
        target = spec["components"]["schemas"].setdefault(name, {})
        deep_merge(target, patch)


def dataclass_schema(dotted: str) -> dict[str, Any]:
    """A JSON schema from an entity dataclass of the package (what its to_dict() writes)."""
    import dataclasses
    import typing

    module, _, cls_name = dotted.rpartition(".")
    cls = getattr(importlib.import_module(module), cls_name)
    hints = typing.get_type_hints(cls)
    types = {str: {"type": "string"}, float: {"type": "number"}, int: {"type": "integer", "format": "int64"},
             bool: {"type": "boolean"}}  # fmt: skip
    props, required = {}, []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        props[f.name] = copy.deepcopy(types[args[0] if args else tp])
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    return {"type": "object", "description": f"{cls_name} ({dotted}).", "properties": props, "required": required}


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def main() -> None:
    spec = build()
    text = "# GENERATED by openapi/tools/build_spec.py -- do not edit; run `make generate`.\n"
    text += yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    SPEC.write_text(text)
    ops = sum(len(v) for v in spec["paths"].values())
    print(f"wrote {SPEC.relative_to(ROOT)}: {ops} operations, {len(spec['components']['schemas'])} schemas")


if __name__ == "__main__":
    main()
