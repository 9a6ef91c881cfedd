package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.generated.Limits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Splits any number of metrics, params and tags into log-batch bodies within the server's
 * limits: at most 1000 metrics, 100 params, 100 tags, 1000 entities and 1,000,000 bytes each,
 * and no param key twice in one body. Lazy, so an unbounded iterator is fine.
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
        return body;
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
            bytes += array.get(array.size() - 1).toString().getBytes(StandardCharsets.UTF_8).length + 1;
        }
    }
}
