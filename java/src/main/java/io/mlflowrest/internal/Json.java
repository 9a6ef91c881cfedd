package io.mlflowrest.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.ValueNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.mlflow_project.google.protobuf.InvalidProtocolBufferException;
import org.mlflow_project.google.protobuf.Message;
import org.mlflow_project.google.protobuf.util.JsonFormat;

/**
 * JSON in one place. Requests are written and answers read with jackson-core's streaming API
 * into databind's tree nodes: an ObjectMapper costs ~330 classes and a fifth of a second at JVM
 * start, so it is built only for what needs it (records, {@link #tree}). int64 goes as JSON
 * numbers and NaN/Infinity as the strings MLflow expects; answers become the official client's
 * protobuf classes (through {@link RunJson}, else its shaded JsonFormat) or the generated records.
 */
public final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {}

    /** Built on first use: unknown fields and enum values ignored, null fields left out of what it writes. */
    private static final class Mapper {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .build();
    }

    /** Protobuf JSON, built on first use: it builds service.proto's descriptors (~440 classes). */
    private static final class Proto {
        static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
        static final JsonFormat.Printer PRINTER = JsonFormat.printer().preservingProtoFieldNames()
                .omittingInsignificantWhitespace();
    }

    /** {@return the one ObjectMapper, for records and values that are not trees} */
    public static ObjectMapper mapper() {
        return Mapper.MAPPER;
    }

    /** {@return an empty JSON object to build a request body in} */
    public static ObjectNode object() {
        return NODES.objectNode();
    }

    /** {@return an empty JSON array} */
    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    /**
     * A value (map, list, record, string, number) as a JSON tree.
     *
     * @param value the value
     * @return its tree
     */
    public static JsonNode tree(Object value) {
        return mapper().valueToTree(value);
    }

    /**
     * The body as sent: fields set to null are left out, so optional arguments need no ifs.
     *
     * @param node the body
     * @return its JSON text
     */
    public static String write(JsonNode node) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writeWithoutNulls(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON", e); // a StringWriter does not fail
        }
        return out.toString();
    }

    // Longest number text Jackson writes: Double.toString's 24 characters, or a quoted "-Infinity".
    private static final int NUMBER_MAX = 24;

    /**
     * At least the UTF-8 size of a node as {@link #write} sends it, without writing it: exact for
     * strings, field names and integers, a bound for other numbers. Batches are cut by it, once per
     * entry; {@code toString()} would build an ObjectMapper (~330 classes at JVM start) and
     * serialising every entry twice cost a cold JVM half its CPU in log-batch.
     *
     * @param node a JSON tree
     * @return a size in bytes that is never less than the written one
     */
    public static long sizeBound(JsonNode node) {
        if (node.isObject()) {
            long size = 2; // {}
            int fields = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isNull()) {
                    size += (fields++ == 0 ? 0 : 1) + stringSize(e.getKey()) + 1 + sizeBound(e.getValue());
                }
            }
            return size;
        }
        if (node.isArray()) {
            long size = 2 + Math.max(0, node.size() - 1); // [] and commas
            for (JsonNode item : node) {
                size += sizeBound(item);
            }
            return size;
        }
        if (node.isTextual()) {
            return stringSize(node.textValue());
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return Long.toString(node.longValue()).length();
        }
        if (node.isNumber()) {
            return node.isBigDecimal() || node.isBigInteger() ? node.asText().length() + 2 : NUMBER_MAX;
        }
        if (node.isBoolean()) {
            return node.booleanValue() ? 4 : 5;
        }
        if (node.isNull() || node.isMissingNode()) {
            return 4;
        }
        return write(node).getBytes(StandardCharsets.UTF_8).length; // binary and POJO: rare
    }

    /** A quoted string's UTF-8 size as Jackson escapes it: quote, backslash and \n-style controls in 2 bytes, other controls in 6. */
    private static long stringSize(String text) {
        long size = 2;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20) {
                size += c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r' ? 2 : 6;
            } else if (c == '"' || c == '\\') {
                size += 2;
            } else if (c < 0x80) {
                size += 1;
            } else if (c < 0x800) {
                size += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                size += 4;
                i++;
            } else {
                size += 3;
            }
        }
        return size;
    }

    /**
     * A copy without the fields set to null, at any depth: the body as the spec describes it.
     *
     * @param node a JSON tree
     * @return the copy (the node itself when it is neither object nor array)
     */
    public static JsonNode withoutNulls(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = NODES.objectNode();
            node.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    copy.set(e.getKey(), withoutNulls(e.getValue()));
                }
            });
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode();
            node.forEach(item -> copy.add(withoutNulls(item)));
            return copy;
        }
        return node;
    }

    private static void writeWithoutNulls(JsonGenerator g, JsonNode node) throws IOException {
        if (node.isObject()) {
            g.writeStartObject();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isNull()) {
                    g.writeFieldName(e.getKey());
                    writeWithoutNulls(g, e.getValue());
                }
            }
            g.writeEndObject();
        } else if (node.isArray()) {
            g.writeStartArray();
            for (JsonNode item : node) {
                writeWithoutNulls(g, item);
            }
            g.writeEndArray();
        } else if (node.isNull() || node.isMissingNode()) {
            g.writeNull();
        } else if (node.isBinary()) {
            g.writeBinary(node.binaryValue());
        } else if (node.isPojo()) {
            g.writeRawValue(mapper().writeValueAsString(((POJONode) node).getPojo()));
        } else {
            ((ValueNode) node).serialize(g, null); // text, numbers, booleans write themselves without a provider
        }
    }

    /**
     * The node, or null when the text is not JSON (HTML error pages, plain text). Content after
     * the first value is ignored, as ObjectMapper.readTree does.
     *
     * @param text an answer's body
     * @return the parsed JSON, or null
     */
    public static JsonNode tryParse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            return first == null ? null : read(p, first);
        } catch (IOException e) {
            return null;
        }
    }

    private static JsonNode read(JsonParser p, JsonToken token) throws IOException {
        switch (token) {
            case START_OBJECT: {
                ObjectNode o = NODES.objectNode();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                    String name = p.currentName();
                    o.set(name, read(p, p.nextToken()));
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    a.add(read(p, t));
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                switch (p.getNumberType()) {
                    case INT:
                        return NODES.numberNode(p.getIntValue());
                    case LONG:
                        return NODES.numberNode(p.getLongValue());
                    default:
                        return NODES.numberNode(p.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                throw new JsonParseException(p, "unexpected " + token);
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
            Message direct = RunJson.read(json, builder);
            if (direct != null) {
                return (M) direct;
            }
            Proto.PARSER.merge(json.isMissingNode() || json.isNull() ? "{}" : write(json), builder);
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
            return tryParse(Proto.PRINTER.print(message));
        } catch (InvalidProtocolBufferException e) {
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
            return mapper().treeToValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("answer does not fit " + type.getSimpleName(), e);
        }
    }
}
