"""The Java operation layer, written by generate.py: io/mlflowrest/generated/api/*.java.

One class per x-mlflowrest-resource, one method per operation named by x-mlflowrest-method (an
alias gets `Via<Method>`): path parameters first, then the request (the body's record, or a
generated `<OperationId>Params` record of the query parameters), answering the response's record.
Every method goes through one OperationCaller, which the hand-written client implements with its
one transport, so the layer carries no HTTP of its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGE = "io.mlflowrest.generated.api"
MODEL = "io.mlflowrest.generated.model"


def pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def lower_camel(name: str) -> str:
    p = pascal(name)
    return p[:1].lower() + p[1:]


def ref(schema: dict[str, Any] | None) -> str | None:
    return schema["$ref"].rsplit("/", 1)[-1] if schema and "$ref" in schema else None


def doc_text(text: str) -> str:
    return html.escape(text.strip(), quote=False).replace("*/", "*&#47;").replace("@", "{@literal @}")


def method_name(op: dict[str, Any], http_method: str) -> str:
    """x-mlflowrest-method in camel case; an alias (another route of the same call) adds Via<HTTP method>."""
    name = lower_camel(op["x-mlflowrest-method"])
    return name + "Via" + http_method.capitalize() if op.get("x-mlflowrest-alias-of") else name


def operations(spec: dict[str, Any], is_model: Callable[[str], bool]) -> list[dict[str, Any]]:
    """The spec's operations with the Java names and types of their method."""
    ops = []
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            params = op.get("parameters", [])
            query = [p for p in params if p["in"] == "query"]
            content = op.get("requestBody", {}).get("content", {})
            ok = op["responses"]["200"].get("content", {})
            body = "json" if "application/json" in content else "binary" if content else "none"
            answer = "json" if "application/json" in ok else "binary" if ok else "empty"
            body_model = ref(content["application/json"]["schema"]) if body == "json" else None
            answer_model = ref(ok["application/json"]["schema"]) if answer == "json" else None
            name = method_name(op, method)
            request = None
            if body_model and is_model(body_model):
                request = body_model
            elif body == "none" and query:
                request = op["operationId"][:1].upper() + op["operationId"][1:] + "Params"
            ops.append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "name": name,
                    "resource": op["x-mlflowrest-resource"],
                    "summary": op.get("summary") or "",
                    "path_params": [p["name"] for p in params if p["in"] == "path"],
                    "query": query,
                    "body": body,
                    "answer": answer,
                    "request": request,
                    "returns": answer_model if answer_model and is_model(answer_model) else None,
                }
            )
    return ops


def params_schema(op: dict[str, Any]) -> dict[str, Any]:
    """The query parameters of an operation as an object schema, for its Params record."""
    props = {}
    for p in op["query"]:
        props[p["name"]] = p.get("schema") or p["content"]["application/json"]["schema"]
    return {
        "type": "object",
        "properties": props,
        "description": f"The query parameters of {op['id']} ({op['method']} {{@code {op['path']}}}).",
    }


def method_source(op: dict[str, Any]) -> str:
    args = [f"String {lower_camel(p)}" for p in op["path_params"]]
    path_map = "Map.of(" + ", ".join(f'"{p}", {lower_camel(p)}' for p in op["path_params"]) + ")"
    docs = [f"@param {lower_camel(p)} the {p} path parameter" for p in op["path_params"]]
    if op["body"] == "binary":
        args.append("Path file")
        docs.append("@param file the file whose bytes are the request body")
    elif op["request"]:
        args.append(f"{op['request']} request")
        docs.append("@param request the request; null fields are not sent")
    if op["answer"] == "binary":
        returns, call = "InputStream", f"return caller.download({q(op['id'])}, {path_map}, null);"
        docs.append("@return the answer's bytes, to be closed by the caller")
    elif op["body"] == "binary":
        returns, call = "void", f"caller.upload({q(op['id'])}, {path_map}, file);"
    elif op["returns"]:
        req = "request" if op["request"] else "null"
        returns = op["returns"]
        call = f"return caller.call({q(op['id'])}, {path_map}, {req}, {returns}.class);"
        docs.append("@return the answer")
    else:
        req = "request" if op["request"] else "null"
        returns = "JsonNode"
        call = f"return caller.call({q(op['id'])}, {path_map}, {req}, JsonNode.class);"
        docs.append("@return the answer's JSON")
    summary = f" {doc_text(op['summary'])}" if op["summary"] else ""
    head = f"{op['id']}: {op['method']} {{@code {op['path']}}}.{summary}"
    doc = "\n".join(
        [
            "    /**",
            f"     * {head}",
            "     *",
            *(f"     * {d}" for d in docs),
            "     * @throws io.mlflowrest.errors.MlflowError the family's typed error",
            "     */",
        ]
    )
    return f"{doc}\n    public {returns} {op['name']}({', '.join(args)}) {{\n        {call}\n    }}\n"


def q(text: str) -> str:
    return '"' + text + '"'


def resource_source(resource: str, ops: list[dict[str, Any]]) -> str:
    cls = pascal(resource) + "Api"
    body = "\n".join(method_source(op) for op in sorted(ops, key=lambda o: o["name"]))
    text = body
    imports = ["java.util.Map"]
    for needed, imp in (
        ("JsonNode", "com.fasterxml.jackson.databind.JsonNode"),
        ("InputStream", "java.io.InputStream"),
        ("Path file", "java.nio.file.Path"),
    ):
        if needed in text:
            imports.append(imp)
    models = sorted({t for op in ops for t in (op["request"], op["returns"]) if t})
    imports += [f"{MODEL}.{m}" for m in models]
    import_lines = "\n".join(f"import {i};" for i in sorted(imports))
    return f"""package {PACKAGE};

{import_lines}

/** The {resource.replace("_", " ")} operations of the spec, one method each. */
public final class {cls} {{
    private final OperationCaller caller;

    /**
     * Reach it through {{@code client.api().{lower_camel(resource)}()}}.
     *
     * @param caller sends each operation through the client's transport
     */
    public {cls}(OperationCaller caller) {{
        this.caller = caller;
    }}

{body}}}
"""


CALLER = f"""package {PACKAGE};

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Sends one operation of the spec by its operationId: what the generated layer needs from a
 * client. The client's implementation goes through its one transport (retries, errors, auth).
 */
public interface OperationCaller {{
    /**
     * A JSON operation.
     *
     * @param <T> the answer's type
     * @param operationId the spec's operationId
     * @param path path parameters by their API names
     * @param request a body or Params record, or null
     * @param answer the class the answer is read as
     * @return the answer
     */
    <T> T call(String operationId, Map<String, String> path, Object request, Class<T> answer);

    /**
     * An operation whose answer is bytes.
     *
     * @param operationId the spec's operationId
     * @param path path parameters by their API names
     * @param request a Params record, or null
     * @return the answer's bytes, to be closed by the caller
     */
    InputStream download(String operationId, Map<String, String> path, Object request);

    /**
     * An operation whose request body is bytes.
     *
     * @param operationId the spec's operationId
     * @param path path parameters by their API names
     * @param file the file sent as the body
     */
    void upload(String operationId, Map<String, String> path, Path file);
}}
"""


def api_source(resources: list[str]) -> str:
    fields = "\n".join(f"    private final {pascal(r)}Api {lower_camel(r)};" for r in resources)
    inits = "\n".join(f"        this.{lower_camel(r)} = new {pascal(r)}Api(caller);" for r in resources)
    getters = "\n".join(
        f"    /** {{@return the {r.replace('_', ' ')} operations}} */\n"
        f"    public {pascal(r)}Api {lower_camel(r)}() {{\n        return {lower_camel(r)};\n    }}\n"
        for r in resources
    )
    return f"""package {PACKAGE};

/** Every operation of the spec, by resource: {{@code client.api().runs().get(new GetRunParams(id, null))}}. */
public final class Api {{
{fields}

    /**
     * Made by the client; reach it through {{@code client.api()}}.
     *
     * @param caller sends each operation through the client's transport
     */
    public Api(OperationCaller caller) {{
{inits}
    }}

{getters}}}
"""


def write_all(
    spec: dict[str, Any],
    out: Path,
    write: Callable[..., None],
    record: Callable[[str, dict[str, Any], dict[str, Any]], str],
) -> None:
    schemas = spec["components"]["schemas"]

    def is_model(name: str) -> bool:
        s = schemas[name]
        return s.get("type") == "object" and bool(s.get("properties"))

    ops = operations(spec, is_model)
    seen: set[tuple[str, str]] = set()
    for op in ops:
        key = (op["resource"], op["name"])
        if key in seen:
            raise SystemExit(f"two operations would be {op['resource']}.{op['name']}: rename one in the spec")
        seen.add(key)
        if op["request"] and op["request"].endswith("Params") and op["request"] not in schemas:
            write(out / "model" / f"{op['request']}.java", record(op["request"], params_schema(op), schemas))
    resources = sorted({op["resource"] for op in ops})
    write(out / "api" / "OperationCaller.java", CALLER)
    write(out / "api" / "Api.java", api_source(resources))
    for r in resources:
        write(out / "api" / f"{pascal(r)}Api.java", resource_source(r, [o for o in ops if o["resource"] == r]))
