package io.mlflowrest.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mlflow_project.google.protobuf.InvalidProtocolBufferException;
import org.mlflow_project.google.protobuf.Message;
import org.mlflow_project.google.protobuf.util.JsonFormat;

/**
 * JSON in one place. Requests are written with Jackson, which sends int64 as JSON numbers and
 * NaN/Infinity as the strings MLflow expects; answers become the official client's protobuf
 * classes (through its shaded JsonFormat) or the generated records.
 */
public final class Json {
    /** The one mapper: unknown fields and enum values ignored, null fields left out of what it writes. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();
    private static final JsonFormat.Parser PROTO = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer PROTO_PRINTER = JsonFormat.printer().preservingProtoFieldNames()
            .omittingInsignificantWhitespace();

    private Json() {}

    /** {@return an empty JSON object to build a request body in} */
    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /**
     * The body as sent: fields set to null are left out, so optional arguments need no ifs.
     *
     * @param node the body
     * @return its JSON text
     */
    public static String write(JsonNode node) {
        return withoutNulls(node).toString();
    }

    /**
     * A copy without the fields set to null, at any depth: the body as the spec describes it.
     *
     * @param node a JSON tree
     * @return the copy (the node itself when it is neither object nor array)
     */
    public static JsonNode withoutNulls(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = MAPPER.createObjectNode();
            node.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    copy.set(e.getKey(), withoutNulls(e.getValue()));
                }
            });
            return copy;
        }
        if (node.isArray()) {
            var copy = MAPPER.createArrayNode();
            node.forEach(item -> copy.add(withoutNulls(item)));
            return copy;
        }
        return node;
    }

    /**
     * The node, or null when the text is not JSON (HTML error pages, plain text).
     *
     * @param text an answer's body
     * @return the parsed JSON, or null
     */
    public static JsonNode tryParse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * The JSON as a protobuf message; an absent field gives the empty message, as protobuf would.
     *
     * @param <M> the message type
     * @param json the answer's JSON, or a missing node
     * @param builder a fresh builder of the message type
     * @return the message
     * @throws IllegalStateException when the JSON does not fit the message type
     */
    @SuppressWarnings("unchecked")
    public static <M extends Message> M proto(JsonNode json, Message.Builder builder) {
        try {
            PROTO.merge(json.isMissingNode() || json.isNull() ? "{}" : json.toString(), builder);
            return (M) builder.build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("answer does not fit " + builder.getDescriptorForType().getName(), e);
        }
    }

    /**
     * A protobuf message as a JSON tree, field names as on the wire.
     *
     * @param message the message
     * @return its JSON tree
     */
    public static JsonNode fromProto(Message message) {
        try {
            return MAPPER.readTree(PROTO_PRINTER.print(message));
        } catch (InvalidProtocolBufferException | JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + message.getDescriptorForType().getName(), e);
        }
    }

    /**
     * The JSON as a generated record.
     *
     * @param <T> the record type
     * @param json the answer's JSON
     * @param type the record's class
     * @return the record
     */
    public static <T> T record(JsonNode json, Class<T> type) {
        try {
            return MAPPER.treeToValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("answer does not fit " + type.getSimpleName(), e);
        }
    }
}
