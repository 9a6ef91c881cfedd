package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.Page;
import io.mlflowrest.PagedIterable;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import io.mlflowrest.generated.Limits;
import io.mlflowrest.generated.Routes;
import java.util.ArrayList;
import java.util.List;
import org.mlflow.api.proto.Service.Metric;

/** {@code client.metrics()}: metric history, every page of it. */
public final class Metrics {
    private final Transport transport;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.metrics()}.
     *
     * @param operations the client's operation layer, whose transport this sends through
     */
    public Metrics(RawOperations operations) {
        this.transport = operations.transport();
    }

    /**
     * Every point of the metric, fetched METRIC_HISTORY_PAGE_SIZE at a time.
     *
     * @param runId the run
     * @param key the metric's name
     * @return every point in the server's order, walked lazily; empty when nothing was logged under the key
     */
    public PagedIterable<Metric> history(String runId, String key) {
        Validation.runId(runId);
        Validation.required("metric_key", key);
        return new PagedIterable<>(token -> {
            Query q = Query.of().with("run_id", runId).with("metric_key", key)
                    .with("max_results", Limits.METRIC_HISTORY_PAGE_SIZE).with("page_token", token);
            JsonNode json = transport.call(Routes.METRICS_GET_HISTORY, q, null);
            List<Metric> items = new ArrayList<>();
            json.path("metrics").forEach(m -> items.add(Json.proto(m, Metric.newBuilder())));
            return new Page<>(items, json.path("next_page_token").asText(null));
        });
    }
}
