package io.mlflowrest.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mlflowrest.generated.Rules;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Client-made ids (local- and 32 hex digits) and their replacement by server ids at sync. */
public final class LocalIds {
    private static final Pattern LOCAL = Pattern.compile(Pattern.quote(Rules.JOURNAL_LOCAL_ID_PREFIX) + "[0-9a-f]{32}");

    private LocalIds() {}

    /** {@return a fresh local id} */
    public static String next() {
        return Rules.JOURNAL_LOCAL_ID_PREFIX + hex32();
    }

    /** {@return 32 lowercase hex digits, a random UUID without dashes} */
    public static String hex32() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /**
     * @param value any string, or null
     * @return true when it is a local id
     */
    public static boolean isLocal(String value) {
        return value != null && LOCAL.matcher(value).matches();
    }

    /**
     * Replaces, in place, every bound local id among the id fields (at any depth, and items of
     * experiment_ids) by its server id.
     *
     * @param node a request body
     * @param bound local id -> server id
     */
    public static void replace(JsonNode node, Map<String, String> bound) {
        if (node instanceof ObjectNode object) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                JsonNode value = e.getValue();
                if (Rules.JOURNAL_ID_FIELDS.contains(e.getKey()) && value.isTextual() && bound.containsKey(value.asText())) {
                    e.setValue(TextNode.valueOf(bound.get(value.asText())));
                } else if (Rules.JOURNAL_ID_FIELDS.contains(e.getKey()) && value instanceof ArrayNode items) {
                    for (int i = 0; i < items.size(); i++) {
                        if (items.get(i).isTextual() && bound.containsKey(items.get(i).asText())) {
                            items.set(i, TextNode.valueOf(bound.get(items.get(i).asText())));
                        }
                    }
                } else {
                    replace(value, bound);
                }
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(item -> replace(item, bound));
        }
    }

    /**
     * @param node a request body
     * @param unbound says whether a local id still has no server id
     * @return the first local id among the id fields that is unbound, or null
     */
    public static String firstUnbound(JsonNode node, Predicate<String> unbound) {
        if (node instanceof ObjectNode object) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                if (Rules.JOURNAL_ID_FIELDS.contains(e.getKey())) {
                    for (JsonNode v : e.getValue().isArray() ? e.getValue() : java.util.List.of(e.getValue())) {
                        if (v.isTextual() && isLocal(v.asText()) && unbound.test(v.asText())) {
                            return v.asText();
                        }
                    }
                }
                String inner = firstUnbound(e.getValue(), unbound);
                if (inner != null) {
                    return inner;
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (JsonNode item : array) {
                String inner = firstUnbound(item, unbound);
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }
}
