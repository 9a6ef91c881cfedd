package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.generated.Limits;
import io.mlflowrest.errors.ApiError;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits any number of metrics, params and tags into log-batch bodies within the server's
 * limits: at most 1000 metrics, 100 params, 100 tags, 1000 entities and 1,000,000 bytes each,
 * and no param key twice in one body. Lazy over its iterators (logBatch hands it lists it has
 * checked whole, so bad input writes nothing).
 */
public final class BatchChunker implements Iterator<ObjectNode> {
    // Room for {"run_id":"...","metrics":[],"params":[],"tags":[]}: the family's reserve
    // (family-rules.yaml, batch); entries are measured exactly, with their commas.
    private static final int ENVELOPE_BYTES = io.mlflowrest.generated.Rules.BATCH_ENVELOPE_RESERVE_BYTES;

    private final String runId;
    private final Iterator<ObjectNode> metrics;
    private final Iterator<ObjectNode> params;
    private final Iterator<ObjectNode> tags;
    private final Deque<ObjectNode> deferredParams = new ArrayDeque<>();
    // Per body sent, how many metrics, params and tags earlier bodies carried (read by sending threads).
    private final Map<ObjectNode, int[]> offsets = Collections.synchronizedMap(new IdentityHashMap<>());
    private final int[] emitted = new int[3];
    private static final Pattern INDEX = Pattern.compile("\\b(metrics|params|tags)\\[(\\d+)\\]");

    /**
     * @param runId the run the bodies are for
     * @param metrics metric JSON objects
     * @param params param JSON objects
     * @param tags tag JSON objects
     */
    public BatchChunker(String runId, Iterator<ObjectNode> metrics, Iterator<ObjectNode> params,
                        Iterator<ObjectNode> tags) {
        this.runId = runId;
        this.metrics = metrics;
        this.params = params;
        this.tags = tags;
    }

    @Override
    public boolean hasNext() {
        return metrics.hasNext() || params.hasNext() || tags.hasNext() || !deferredParams.isEmpty();
    }

    @Override
    public ObjectNode next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ObjectNode body = Json.object().put("run_id", runId);
        ArrayNode metricArray = body.putArray("metrics");
        ArrayNode paramArray = body.putArray("params");
        ArrayNode tagArray = body.putArray("tags");
        Budget budget = new Budget();
        Set<String> paramKeys = new HashSet<>();
        int deferredCount = deferredParams.size();
        for (int i = 0; i < deferredCount && paramArray.size() < Limits.MAX_PARAMS_TAGS_PER_BATCH; i++) {
            ObjectNode p = deferredParams.pollFirst();
            addParam(p, paramArray, paramKeys, budget);
        }
        while (params.hasNext() && paramArray.size() < Limits.MAX_PARAMS_TAGS_PER_BATCH && budget.fits(ENTRY_MAX)) {
            addParam(params.next(), paramArray, paramKeys, budget);
        }
        while (tags.hasNext() && tagArray.size() < Limits.MAX_PARAMS_TAGS_PER_BATCH && budget.fits(ENTRY_MAX)) {
            budget.take(tagArray.add(tags.next()));
        }
        while (metrics.hasNext() && metricArray.size() < Limits.MAX_METRICS_PER_BATCH && budget.fits(ENTRY_MAX)) {
            budget.take(metricArray.add(metrics.next()));
        }
        offsets.put(body, emitted.clone());
        emitted[0] += metricArray.size();
        emitted[1] += paramArray.size();
        emitted[2] += tagArray.size();
        return body;
    }

    /**
     * The server counts items within one request ({@code metrics[3].timestamp}); the caller
     * counts within the whole call: the same error, its indexes shifted to the caller's.
     *
     * @param error the server's error for one request
     * @param body the request's body
     * @return the same error, indexes counted within the whole call
     */
    public ApiError inCallersTerms(ApiError error, ObjectNode body) {
        int[] start = offsets.get(body);
        String message = error.serverMessage();
        if (start == null || message == null) {
            return error;
        }
        Matcher m = INDEX.matcher(message);
        StringBuilder shifted = new StringBuilder();
        while (m.find()) {
            int kind = m.group(1).equals("metrics") ? 0 : m.group(1).equals("params") ? 1 : 2;
            m.appendReplacement(shifted, m.group(1) + "[" + (Integer.parseInt(m.group(2)) + start[kind]) + "]");
        }
        m.appendTail(shifted);
        return shifted.toString().equals(message) ? error : ErrorMapper.restated(error, shifted.toString());
    }

    // The largest entry: a 250-character key and an 8000-character value, escaped at worst.
    private static final int ENTRY_MAX = 2 * (Limits.MAX_ENTITY_KEY_LENGTH + Limits.MAX_TAG_VALUE_LENGTH) * 3;

    private void addParam(ObjectNode p, ArrayNode paramArray, Set<String> keys, Budget budget) {
        if (keys.add(p.path("key").asText())) {
            budget.take(paramArray.add(p));
        } else {
            deferredParams.addLast(p);
        }
    }

    /** Entities and bytes left in the body being filled. */
    private static final class Budget {
        private int entities;
        private long bytes = ENVELOPE_BYTES;

        boolean fits(int maxEntryBytes) {
            return entities < Limits.MAX_ENTITIES_PER_BATCH && bytes + maxEntryBytes <= Limits.MAX_BATCH_REQUEST_BYTES;
        }

        void take(ArrayNode array) {
            entities++;
            bytes += Json.sizeBound(array.get(array.size() - 1)) + 1; // with its comma
        }
    }
}
