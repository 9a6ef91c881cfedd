# log-batch: validate and encode every entity once, then pack them greedily into request
# bodies that respect every per-request limit of the server (R/generated_limits.R).

as_key_value <- function(x, what) {
  if (is.null(x) || length(x) == 0L) return(data.frame(key = character(), value = character()))
  if (!is.data.frame(x)) {
    if (is.null(names(x)) || any(!nzchar(names(x)))) {
      abort_invalid(sprintf("%s must be a data frame (key, value) or a named list", what), what)
    }
    x <- data.frame(key = names(x), value = vapply(x, as.character, character(1)),
                    stringsAsFactors = FALSE)
  }
  data.frame(key = as.character(x$key), value = as.character(x$value), stringsAsFactors = FALSE)
}

# One JSON object text per entity, with its kind, in the order they will be sent.
batch_entities <- function(metrics = NULL, params = NULL, tags = NULL) {
  params <- as_key_value(params, "params")
  tags <- as_key_value(tags, "tags")
  check_keys(params$key, "param key")
  check_max_length(params$value, "param value", "max_param_value_length")
  check_keys(tags$key, "tag key")
  check_max_length(tags$value, "tag value", "max_tag_value_length")
  if (anyNA(params$value) || anyNA(tags$value)) abort_invalid("values must not be NA", "value")
  metric_json <- character()
  if (!is.null(metrics) && NROW(metrics) > 0L) {
    if (!all(c("key", "value") %in% names(metrics))) {
      abort_invalid("metrics needs columns key and value (timestamp, step optional)", "metrics")
    }
    n <- NROW(metrics)
    check_keys(metrics$key, "metric key")
    if (!is.numeric(metrics$value)) abort_invalid("metric values must be numbers", "value")
    # NA is "no value" in R, as in mlflow_log_metric(); NaN is a value the server stores.
    missing <- is.na(metrics$value) & !is.nan(metrics$value)
    if (any(missing)) {
      abort_invalid(sprintf("metric value at row %d is NA; log NaN for a missing measurement",
                            which(missing)[1]), "value")
    }
    timestamp <- if (is.null(metrics$timestamp)) rep(now_ms(), n) else time_to_ms(metrics$timestamp)
    step <- if (is.null(metrics$step)) rep(0, n) else metrics$step
    if (is_int64_text(step)) {
      check_int64_text(step, "step")
    } else {
      if (!is.numeric(step)) abort_invalid(sprintf("step must be whole numbers, not %s", class(step)[1]), "step")
      check_int64_values(step, "step")
    }
    if (!is.character(timestamp)) check_int64_values(timestamp, "timestamp")
    metric_json <- sprintf('{"key":%s,"value":%s,"timestamp":%s,"step":%s}',
                           json_quote(metrics$key), json_metric_value(metrics$value),
                           json_int64(timestamp), json_int64(step))
  }
  kv_json <- function(df) sprintf('{"key":%s,"value":%s}', json_quote(df$key), json_quote(df$value))
  data.frame(
    kind = c(rep("params", nrow(params)), rep("tags", nrow(tags)), rep("metrics", length(metric_json))),
    key = c(params$key, tags$key, if (length(metric_json)) as.character(metrics$key)),
    json = c(kv_json(params), kv_json(tags), metric_json),
    stringsAsFactors = FALSE
  )
}

batch_envelope <- function(run_id, metrics, params, tags) {
  sprintf('{"run_id":%s,"metrics":[%s],"params":[%s],"tags":[%s]}', json_quote(run_id),
          paste(metrics, collapse = ","), paste(params, collapse = ","), paste(tags, collapse = ","))
}

# Assigns each entity to a request number: a new request starts when the next entity would
# break a count limit, the byte limit, or repeat a param key.
batch_chunks <- function(run_id, entities) {
  # The envelope and run id get the family's reserve (family-rules.yaml, batch); entities
  # are measured exactly.
  max_bytes <- limit("max_batch_request_bytes") - rules_batch_envelope_reserve_bytes
  caps <- c(metrics = limit("max_metrics_per_batch"), params = limit("max_params_tags_per_batch"),
            tags = limit("max_params_tags_per_batch"))
  max_entities <- limit("max_entities_per_batch")
  sizes <- nchar(entities$json, type = "bytes") + 1  # +1 for the separating comma
  chunk <- integer(nrow(entities))
  current <- 1L
  counts <- c(metrics = 0, params = 0, tags = 0)
  bytes <- 0
  param_keys <- character()
  for (i in seq_len(nrow(entities))) {
    kind <- entities$kind[i]
    repeated_param <- kind == "params" && entities$key[i] %in% param_keys
    full <- counts[[kind]] + 1 > caps[[kind]] || sum(counts) + 1 > max_entities ||
      bytes + sizes[i] > max_bytes || repeated_param
    if (full && sum(counts) > 0) {
      current <- current + 1L
      counts[] <- 0
      bytes <- 0
      param_keys <- character()
    }
    chunk[i] <- current
    counts[[kind]] <- counts[[kind]] + 1
    bytes <- bytes + sizes[i]
    if (kind == "params") param_keys <- c(param_keys, entities$key[i])
  }
  chunk
}

batch_bodies <- function(run_id, entities) {
  if (nrow(entities) == 0L) return(character())
  chunk <- batch_chunks(run_id, entities)
  vapply(split(seq_len(nrow(entities)), chunk), function(rows) {
    part <- entities[rows, , drop = FALSE]
    batch_envelope(run_id, part$json[part$kind == "metrics"], part$json[part$kind == "params"],
                   part$json[part$kind == "tags"])
  }, character(1), USE.NAMES = FALSE)
}
