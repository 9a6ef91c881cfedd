package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Operations;
import io.mlflowrest.generated.Operations.Operation;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.RetryGuard;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.journal.Journal;
import io.mlflowrest.internal.Validation;
import io.mlflowrest.generated.api.OperationCaller;
import io.mlflowrest.internal.http.RequestBody;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code client.operations()}: every operation of the spec by its operationId, JSON in and out,
 * so nothing the server serves is out of reach while a typed method is missing. Arguments are
 * the operation's path and query parameters and, for a JSON body, its fields (as the API names
 * them). Sent through the one transport: the same retries, family rules and typed errors. It is
 * also what the generated, typed operation layer ({@code client.api()}) sends through.
 */
public final class RawOperations implements OperationCaller, AutoCloseable {
    private final ClientConfig config;
    private final Transport transport;
    private final Journal journal;
    private final List<AutoCloseable> owned = new CopyOnWriteArrayList<>();

    /**
     * Opens the client's one transport (no connection until the first call); the resources send
     * through it. Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.operations()}.
     *
     * @param config the client's configuration
     */
    public RawOperations(ClientConfig config) {
        this.config = config;
        this.transport = new Transport(config);
        this.journal = config.journalDir() == null ? null : Journal.open(config, transport::resend);
        if (journal != null) {
            transport.useJournal(journal);
            Journal.register(this, journal);
        }
    }

    /** The client's journal (docs/journal.md), or null; never part of the public API. */
    Journal journal() {
        return journal;
    }

    /** The transport, for the resources of this package; never part of the public API. */
    Transport transport() {
        return transport;
    }

    ClientConfig config() {
        return config;
    }

    /** Closed with the transport: what a resource opened beside it (artifact stores' connections). */
    void own(AutoCloseable resource) {
        owned.add(resource);
    }

    /** {@return whether {@link #close()} ran: calls then fail at once} */
    public boolean isClosed() {
        return transport.isClosed();
    }

    /**
     * A JSON call of a path outside the spec's table (a route MLflow removed, reached by the drop-in).
     *
     * @param method the HTTP method
     * @param pathAndQuery the path below the tracking URI, with its query string
     * @param jsonBody the body, or null for none
     * @return the answer's JSON text
     */
    public String rawJson(String method, String pathAndQuery, String jsonBody) {
        return Json.write(transport.json(method, pathAndQuery, Query.of(),
                jsonBody == null ? null : RequestBody.json(jsonBody), RetryGuard.NONE));
    }

    /** Closes the transport and what the resources opened beside it; the client's close() calls this. */
    @Override
    public void close() {
        try {
            if (journal != null) {
                journal.close();
            }
        } finally {
            transport.close();
        }
        for (AutoCloseable resource : owned) {
            try {
                resource.close();
            } catch (Exception e) {
                // closing is best effort: a connection that fails to close is gone either way
            }
        }
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
        Operation op = operation(operationId);
        if (!op.body().equals("json") && !op.body().equals("none") || op.answer().equals("binary")) {
            throw InvalidParameterValueError.clientSide("operation_id", "a JSON operation",
                    operationId + " streams bytes: use client.artifacts() or client.api()");
        }
        ObjectNode rest = args == null || args.isNull() ? Json.object() : ((ObjectNode) args).deepCopy();
        Validation.int64("", rest);
        OperationChecks.check(operationId, rest);
        Prepared sent = prepare(operationId, op, rest);
        return transport.call(op.route(), sent.path(), sent.query(), op.body().equals("json") ? rest : null,
                RetryGuard.NONE);
    }

    @Override
    public <T> T call(String operationId, Map<String, String> path, Object request, Class<T> answer) {
        JsonNode json = call(operationId, arguments(path, request));
        return answer == JsonNode.class ? answer.cast(json) : Json.record(json, answer);
    }

    @Override
    public InputStream download(String operationId, Map<String, String> path, Object request) {
        Operation op = operation(operationId);
        Prepared sent = prepare(operationId, op, arguments(path, request));
        return transport.stream(op.route().method(), op.route().path(sent.path()), sent.query()).body();
    }

    @Override
    public void upload(String operationId, Map<String, String> path, java.nio.file.Path file) {
        Operation op = operation(operationId);
        Prepared sent = prepare(operationId, op, arguments(path, null));
        RequestBody body;
        try {
            body = RequestBody.file(file);
        } catch (IOException e) {
            throw InvalidParameterValueError.clientSide("file", "a readable file", "cannot read " + file + ": " + e);
        }
        transport.json(op.route().method(), op.route().path(sent.path()), sent.query(), body, RetryGuard.NONE);
    }

    private static Operation operation(String operationId) {
        Operation op = Operations.BY_ID.get(operationId);
        if (op == null) {
            throw InvalidParameterValueError.clientSide("operation_id", "an operationId of openapi/mlflow.yaml",
                    "no operation '" + operationId + "' in the spec");
        }
        return op;
    }

    private static ObjectNode arguments(Map<String, String> path, Object request) {
        ObjectNode args = request == null ? Json.object() : Json.mapper().valueToTree(request);
        path.forEach(args::put);
        return args;
    }

    private record Prepared(Map<String, String> path, Query query) {}

    /** Takes the path and query parameters out of {@code rest}, which keeps the body's fields. */
    private static Prepared prepare(String operationId, Operation op, ObjectNode rest) {
        Map<String, String> path = new LinkedHashMap<>();
        List<String> inBody = Operations.PATH_PARAMS_IN_BODY.getOrDefault(operationId, List.of());
        for (String name : op.pathParams()) {
            JsonNode value = inBody.contains(name) ? rest.get(name) : rest.remove(name);
            String text = value == null || value.isNull() ? null : value.asText();
            if (text == null || text.isBlank()) {
                throw InvalidParameterValueError.clientSide(name, "a non-blank path parameter",
                        operationId + " needs " + name);
            }
            path.put(name, text);
        }
        Query query = Query.of();
        for (String name : op.queryParams()) {
            JsonNode value = rest.remove(name);
            if (value != null && value.isArray()) {
                List<String> items = new ArrayList<>();
                value.forEach(v -> items.add(v.isValueNode() ? v.asText() : v.toString()));
                query = query.withEach(name, items);
            } else if (value != null && !value.isNull()) {
                query = query.with(name, value.isValueNode() ? value.asText() : value.toString());
            }
        }
        if (!op.body().equals("json") && rest.size() > 0) {
            String unknown = rest.fieldNames().next();
            throw InvalidParameterValueError.clientSide(unknown, "a parameter of " + operationId,
                    operationId + " has no parameter '" + unknown + "'");
        }
        return new Prepared(path, query);
    }
}
