package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.mlflowrest.generated.Rules;
import java.util.UUID;

/**
 * The client request id that makes creates safe to retry (openapi/family-rules.yaml,
 * request_id): written under {@link Rules#REQUEST_ID_TAG}, which MLflow's UI hides; the keys of
 * earlier releases are read too.
 */
final class RequestIds {
    static final String TAG = Rules.REQUEST_ID_TAG;

    private RequestIds() {}

    static String next() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    static void addTag(ArrayNode tags, String requestId) {
        tags.addObject().put("key", TAG).put("value", requestId);
    }

    /** Whether a JSON list of {key, value} tags carries this request id under any of the family's keys. */
    static boolean carries(JsonNode tags, String requestId) {
        for (JsonNode tag : tags) {
            String key = tag.path("key").asText();
            if ((key.equals(TAG) || Rules.LEGACY_REQUEST_ID_TAGS.contains(key))
                    && tag.path("value").asText().equals(requestId)) {
                return true;
            }
        }
        return false;
    }

    /** A filter-string literal: single quotes escaped. */
    static String quote(String value) {
        return "'" + value.replace("'", "\\'") + "'";
    }
}
