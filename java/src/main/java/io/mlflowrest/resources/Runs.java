package io.mlflowrest.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.Page;
import io.mlflowrest.PagedIterable;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.internal.BatchChunker;
import io.mlflowrest.internal.BatchSender;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.Validation;
import io.mlflowrest.internal.WriteLimit;
import io.mlflowrest.generated.Routes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mlflow.api.proto.Service.DatasetInput;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;

/** {@code client.runs()}: create, get, search, update, delete, restore, and logging. */
public final class Runs {
    private final Transport transport;
    private final int batchConcurrency;

    /**
     * Made by {@link io.mlflowrest.MlflowRestClient}; reach it through {@code client.runs()}.
     *
     * @param operations the client's operation layer, whose transport this sends through; its
     *     configuration's {@code batchConcurrency} is how many metric-only log-batch requests are in flight
     */
    public Runs(RawOperations operations) {
        this.transport = operations.transport();
        this.batchConcurrency = operations.config().batchConcurrency();
    }

    /**
     * Creates a run with no name or tags; safe to retry, as below.
     *
     * @param experimentId the experiment to create it in
     * @return the new run, RUNNING
     */
    public Run create(String experimentId) {
        return create(experimentId, null, Map.of());
    }

    /**
     * Creates a run. Safe to retry: the run carries a request-id tag, and before a retry the
     * client looks that id up, returning the run the first try made.
     *
     * @param experimentId the experiment to create it in
     * @param runName its name, or null for one the server picks
     * @param tags its tags; may be empty
     * @return the new run, RUNNING
     */
    public Run create(String experimentId, String runName, Map<String, String> tags) {
        Validation.experimentId(experimentId);
        tags.forEach(Validation::runTag);
        String requestId = RequestIds.next();
        ObjectNode body = Json.object().put("experiment_id", experimentId).put("run_name", runName)
                .put("start_time", System.currentTimeMillis());
        ArrayNode tagArray = body.putArray("tags");
        tags.forEach((k, v) -> tagArray.addObject().put("key", k).put("value", v));
        RequestIds.addTag(tagArray, requestId);
        JsonNode json = transport.call(Routes.RUNS_CREATE, Map.of(), Query.of(), body,
                () -> findByRequestId(experimentId, requestId));
        return Json.proto(json.path("run"), Run.newBuilder());
    }

    /**
     * Starts a run with an idempotency key: a run carrying the key in the experiment is returned
     * instead of a new one, set RUNNING again unless FINISHED (then left as it is, see
     * {@link StartedRun#alreadyFinished()}). Concurrent starts with one key end with one run.
     *
     * @param experimentId the experiment to look in and create in
     * @param runName the name of a new run, or null
     * @param tags the tags of a new run
     * @param idempotencyKey names the unit of work; at most 250 characters, no quotes or backslashes
     * @return the run and whether it was resumed
     * @throws io.mlflowrest.errors.InvalidParameterValueError when the key breaks those rules
     */
    public StartedRun startOrResume(String experimentId, String runName, Map<String, String> tags,
            String idempotencyKey) {
        String key = Idempotency.check(idempotencyKey);
        Map<String, String> keyed = new java.util.LinkedHashMap<>(tags);
        keyed.put(Idempotency.TAG, key);
        return Idempotency.start(this, experimentId, key, () -> create(experimentId, runName, keyed));
    }

    private Optional<JsonNode> findByRequestId(String experimentId, String requestId) {
        ObjectNode body = Json.object().put("max_results", 1)
                .put("filter", "tags.`" + RequestIds.TAG + "` = " + RequestIds.quote(requestId))
                .put("run_view_type", "ALL");
        body.putArray("experiment_ids").add(experimentId);
        JsonNode runs = transport.call(Routes.RUNS_SEARCH, Query.of(), body).path("runs");
        return runs.size() == 0 ? Optional.empty() : Optional.of(Json.object().set("run", runs.get(0)));
    }

    /**
     * @param runId the run's id
     * @return the run with its data (latest metrics, params, tags)
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such run
     */
    public Run get(String runId) {
        Validation.runId(runId);
        return Json.proto(transport.call(Routes.RUNS_GET, Query.of().with("run_id", runId), null).path("run"),
                Run.newBuilder());
    }

    /**
     * Runs of the given experiments matching the options, fetched page by page.
     *
     * @param experimentIds the experiments to search in
     * @param options filter, order, page size and view type
     * @return the runs, walked lazily
     */
    public PagedIterable<Run> search(List<String> experimentIds, SearchOptions options) {
        experimentIds.forEach(Validation::experimentId);
        return new PagedIterable<>(token -> {
            ObjectNode body = Json.object().put("filter", options.filter()).put("run_view_type", options.viewType())
                    .put("page_token", token).put("max_results", options.pageSize());
            experimentIds.forEach(body.putArray("experiment_ids")::add);
            options.orderBy().forEach(body.withArray("order_by")::add);
            JsonNode json = transport.call(Routes.RUNS_SEARCH, Query.of(), body);
            List<Run> items = new ArrayList<>();
            json.path("runs").forEach(r -> items.add(Json.proto(r, Run.newBuilder())));
            return new Page<>(items, json.path("next_page_token").asText(null));
        });
    }

    /**
     * Changes status, end time and/or name; null leaves a field as it is.
     *
     * @param runId the run's id
     * @param status the new status, or null
     * @param endTime end time in milliseconds since the epoch, or null
     * @param runName the new name, or null
     * @return the run's info after the change
     */
    public RunInfo update(String runId, RunStatus status, Long endTime, String runName) {
        Validation.runId(runId);
        ObjectNode body = Json.object().put("run_id", runId).put("status", status == null ? null : status.name())
                .put("end_time", endTime).put("run_name", runName);
        return Json.proto(transport.call(Routes.RUNS_UPDATE, Query.of(), body).path("run_info"), RunInfo.newBuilder());
    }

    /**
     * Ends the run with that status, now.
     *
     * @param runId the run's id
     * @param status e.g. FINISHED, FAILED or KILLED
     * @return the run's info after the change
     */
    public RunInfo setTerminated(String runId, RunStatus status) {
        return update(runId, status, System.currentTimeMillis(), null);
    }

    /**
     * Marks the run deleted; {@link #restore(String)} undoes it until the server's garbage collection.
     *
     * @param runId the run's id
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such run
     */
    public void delete(String runId) {
        Validation.runId(runId);
        transport.call(Routes.RUNS_DELETE, Query.of(), Json.object().put("run_id", runId));
    }

    /**
     * Brings a deleted run back.
     *
     * @param runId the run's id
     * @throws io.mlflowrest.errors.ResourceDoesNotExistError when there is no such run
     */
    public void restore(String runId) {
        Validation.runId(runId);
        transport.call(Routes.RUNS_RESTORE, Query.of(), Json.object().put("run_id", runId));
    }

    /**
     * Logs one metric point at step 0, stamped now.
     *
     * @param runId the run's id
     * @param key the metric's name, at most 250 characters
     * @param value its value
     */
    public void logMetric(String runId, String key, double value) {
        logMetric(runId, key, value, System.currentTimeMillis(), 0);
    }

    /**
     * One metric point; resending an identical point adds nothing, so retries are safe.
     *
     * @param runId the run's id
     * @param key the metric's name, at most 250 characters
     * @param value its value
     * @param timestamp milliseconds since the epoch
     * @param step the step it belongs to
     */
    public void logMetric(String runId, String key, double value, long timestamp, long step) {
        Validation.runId(runId);
        Validation.key("key", key);
        transport.call(Routes.RUNS_LOG_METRIC, Query.of(), metricJson(key, value, timestamp, step).put("run_id", runId));
    }

    /**
     * Logs a parameter; logging it again with another value is an error on the server.
     *
     * @param runId the run's id
     * @param key at most 250 characters
     * @param value at most 6000 characters
     * @throws io.mlflowrest.errors.InvalidParameterValueError when the key or value breaks a limit, or the
     *     param already has another value
     */
    public void logParam(String runId, String key, String value) {
        Validation.runId(runId);
        Validation.key("key", key);
        Validation.paramValue(value);
        transport.call(Routes.RUNS_LOG_PARAM, Query.of(),
                Json.object().put("run_id", runId).put("key", key).put("value", value));
    }

    /**
     * Sets a tag on the run, overwriting any earlier value.
     *
     * @param runId the run's id
     * @param key at most 250 characters
     * @param value at most 8000 characters
     */
    public void setTag(String runId, String key, String value) {
        Validation.runId(runId);
        Validation.runTag(key, value);
        transport.call(Routes.RUNS_SET_TAG, Query.of(),
                Json.object().put("run_id", runId).put("key", key).put("value", value));
    }

    /**
     * Removes a tag from the run.
     *
     * @param runId the run's id
     * @param key the tag's name
     */
    public void deleteTag(String runId, String key) {
        Validation.runId(runId);
        Validation.required("key", key);
        transport.call(Routes.RUNS_DELETE_TAG, Query.of(), Json.object().put("run_id", runId).put("key", key));
    }

    /**
     * Logs any number of metrics, params and tags (the official client's types), split into as
     * many log-batch requests as the server's limits need. Returns the number of requests sent.
     * Params and tags go first, one request after another (a later tag overwrites an earlier
     * one); then up to the client's batchConcurrency metric-only requests are in flight at once,
     * within the client-wide write limit that overload answers lower (docs/design.md, "Overload").
     * The whole call is checked before the first request (keys, values, a param given twice
     * with two values), so bad input writes nothing; errors name the item by its index in the
     * caller's list ({@code metrics[1500].key}). If a request fails, the others in flight
     * finish, no new one starts, and the first failure is thrown with a note of how many points
     * were stored and how many were not.
     *
     * @param runId the run's id
     * @param metrics metric points; null or empty for none
     * @param params params; null or empty for none
     * @param tags tags; null or empty for none
     * @return the number of log-batch requests sent
     * @throws io.mlflowrest.errors.InvalidParameterValueError before sending anything when a key or value
     *     breaks a server limit
     */
    public int logBatch(String runId, Iterable<Metric> metrics, Iterable<Param> params, Iterable<RunTag> tags) {
        return logBatch(runId, metrics, params, tags, batchConcurrency);
    }

    /**
     * As above with {@code concurrency} metric-only requests in flight; 1 sends one after another.
     *
     * @param runId the run's id
     * @param metrics metric points; null or empty for none
     * @param params params; null or empty for none
     * @param tags tags; null or empty for none
     * @param concurrency metric-only requests in flight at once, at least 1
     * @return the number of log-batch requests sent
     */
    public int logBatch(String runId, Iterable<Metric> metrics, Iterable<Param> params, Iterable<RunTag> tags,
                        int concurrency) {
        Validation.runId(runId);
        if (concurrency < 1) {
            throw InvalidParameterValueError.clientSide("concurrency", ">= 1", "must be at least 1, got " + concurrency);
        }
        // Checked whole before sending: one bad item past the first request must write nothing.
        List<ObjectNode> m = new ArrayList<>();
        Set<String> goodKeys = new HashSet<>(); // a batch repeats few keys: each is checked once
        for (Metric x : items(metrics)) {
            if (goodKeys.add(x.getKey())) {
                Validation.key("metrics[" + m.size() + "].key", x.getKey());
            }
            m.add(metricJson(x.getKey(), x.getValue(), x.getTimestamp(), x.getStep()));
        }
        List<ObjectNode> p = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (Param x : items(params)) {
            String at = "params[" + p.size() + "].";
            Validation.key(at + "key", x.getKey());
            Validation.paramValue(at + "value", x.getValue());
            String before = seen.putIfAbsent(x.getKey(), x.getValue());
            if (before != null && !before.equals(x.getValue())) {
                throw InvalidParameterValueError.clientSide(at + "value", "one value per param key",
                        "param '" + x.getKey() + "' is given twice with different values");
            }
            p.add(Json.object().put("key", x.getKey()).put("value", x.getValue()));
        }
        List<ObjectNode> t = new ArrayList<>();
        for (RunTag x : items(tags)) {
            Validation.runTag("tags[" + t.size() + "].", x.getKey(), x.getValue());
            t.add(Json.object().put("key", x.getKey()).put("value", x.getValue()));
        }
        BatchChunker chunks = new BatchChunker(runId, m.iterator(), p.iterator(), t.iterator());
        WriteLimit limit = transport.writeLimit();
        Duration wait = transport.timeout();
        return new BatchSender(body -> {
            WriteLimit.Slot slot = limit.acquire(wait); // shared by every thread logging through this client
            try {
                transport.call(Routes.RUNS_LOG_BATCH, Query.of(), body);
            } catch (ApiError refused) {
                throw chunks.inCallersTerms(refused, body);
            } finally {
                slot.close();
            }
            limit.stored();
        }, concurrency).sendAll(chunks, m.size(), p.size(), t.size());
    }

    /**
     * Logs metrics at one step and the current time (a convenience over logBatch).
     *
     * @param runId the run's id
     * @param values metric name -> value
     * @param step the step they belong to
     * @return the number of log-batch requests sent
     */
    public int logMetrics(String runId, Map<String, Double> values, long step) {
        long now = System.currentTimeMillis();
        List<Metric> metrics = new ArrayList<>();
        values.forEach((k, v) -> metrics.add(Metric.newBuilder().setKey(k).setValue(v).setTimestamp(now).setStep(step)
                .build()));
        return logBatch(runId, metrics, List.of(), List.of());
    }

    /**
     * Links datasets to the run (runs/log-inputs), which the official client cannot.
     *
     * @param runId the run's id
     * @param datasets the datasets, with their context tags
     */
    public void logInputs(String runId, List<DatasetInput> datasets) {
        Validation.runId(runId);
        ObjectNode body = Json.object().put("run_id", runId);
        ArrayNode array = body.putArray("datasets");
        datasets.forEach(d -> array.add(Json.fromProto(d)));
        transport.call(Routes.RUNS_LOG_INPUTS, Query.of(), body);
    }

    /** NaN and infinities become the strings "NaN", "Infinity", "-Infinity" when written. */
    static ObjectNode metricJson(String key, double value, long timestamp, long step) {
        return Json.object().put("key", key).put("value", value).put("timestamp", timestamp).put("step", step);
    }

    private static <T> Iterable<T> items(Iterable<T> items) {
        return items == null ? List.of() : items;
    }
}
