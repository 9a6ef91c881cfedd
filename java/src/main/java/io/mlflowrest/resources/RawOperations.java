package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Operations;
import io.mlflowrest.generated.Operations.Operation;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.RetryGuard;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code client.operations()}: every operation of the spec by its operationId, JSON in and out,
 * so nothing the server serves is out of reach while a typed method is missing. Arguments are
 * the operation's path and query parameters and, for a JSON body, its fields (as the API names
 * them). Sent through the one transport: the same retries, family rules and typed errors.
 */
public final class RawOperations {
    private final Transport transport;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.operations()}.
     *
     * @param transport the client's one request helper
     */
    public RawOperations(Transport transport) {
        this.transport = transport;
    }

    /** {@return the operationIds of the spec (aliases too), sorted} */
    public java.util.Set<String> ids() {
        return new TreeSet<>(Operations.BY_ID.keySet());
    }

    /**
     * Calls an operation with arguments given as a map (converted to JSON).
     *
     * @param operationId e.g. {@code getRun}
     * @param args path and query parameters and body fields by their API names; null for none
     * @return the answer's JSON
     * @throws io.mlflowrest.errors.InvalidParameterValueError when the operation is unknown, streams bytes,
     *     or gets a parameter it does not have
     */
    public JsonNode call(String operationId, Map<String, ?> args) {
        JsonNode tree = Json.tree(args == null ? Map.of() : args);
        return call(operationId, tree);
    }

    /**
     * Calls an operation with a JSON object of arguments.
     *
     * @param operationId e.g. {@code getRun}
     * @param args path and query parameters and body fields by their API names; null for none
     * @return the answer's JSON
     * @throws io.mlflowrest.errors.InvalidParameterValueError when the operation is unknown, streams bytes,
     *     or gets a parameter it does not have
     */
    public JsonNode call(String operationId, JsonNode args) {
        Operation op = Operations.BY_ID.get(operationId);
        if (op == null) {
            throw InvalidParameterValueError.clientSide("operation_id", "an operationId of openapi/mlflow.yaml",
                    "no operation '" + operationId + "' in the spec");
        }
        if (!op.body().equals("json") && !op.body().equals("none") || op.answer().equals("binary")) {
            throw InvalidParameterValueError.clientSide("operation_id", "a JSON operation",
                    operationId + " streams bytes: use client.artifacts()");
        }
        ObjectNode rest = args == null || args.isNull() ? Json.object() : ((ObjectNode) args).deepCopy();
        Validation.int64("", rest);
        Map<String, String> path = new LinkedHashMap<>();
        for (String name : op.pathParams()) {
            JsonNode value = rest.remove(name);
            path.put(name, value == null || value.isNull() ? null : value.asText());
        }
        Query query = Query.of();
        for (String name : op.queryParams()) {
            JsonNode value = rest.remove(name);
            if (value != null && value.isArray()) {
                java.util.List<String> items = new java.util.ArrayList<>();
                value.forEach(v -> items.add(v.isValueNode() ? v.asText() : v.toString()));
                query = query.withEach(name, items);
            } else if (value != null && !value.isNull()) {
                query = query.with(name, value.isValueNode() ? value.asText() : value.toString());
            }
        }
        if (op.body().equals("none") && rest.size() > 0) {
            String unknown = rest.fieldNames().next();
            throw InvalidParameterValueError.clientSide(unknown, "a parameter of " + operationId,
                    operationId + " has no parameter '" + unknown + "'");
        }
        try {
            return transport.call(op.route(), path, query, op.body().equals("json") ? rest : null, RetryGuard.NONE);
        } catch (IllegalArgumentException blank) {
            throw InvalidParameterValueError.clientSide("path", "every path parameter", blank.getMessage());
        }
    }
}
