# Writing to a run: params, metrics, tags. run_id = NULL means the active run (one is
# started when none is active, as in the CRAN package).

#' Log a parameter
#'
#' @param key Parameter name.
#' @param value Parameter value (converted to a string).
#' @param run_id The run; the active run when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return `value`, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), mlflow_log_param("ntree", 500))
#' }
#' @export
mlflow_log_param <- function(key, value, run_id = NULL, client = NULL) {
  check_keys(key, "key")
  text <- as.character(value)
  check_string(text, "value")
  check_max_length(text, "value", "max_param_value_length")
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  api_runs_log_param(client, run_id = run_id, key = key, value = text)
  notify_observers("log_param", list(run_id = run_id, key = key, value = text))
  invisible(value)
}

#' Log a metric
#'
#' `NaN`, `Inf` and `-Inf` are sent as the strings the server expects. For a run started
#' with `mlflow_start_run(background = TRUE)` the point is buffered and sent in a batch
#' while the caller goes on (see [mlflow_flush()]); otherwise it is sent at once.
#'
#' @param key Metric name.
#' @param value A number.
#' @param timestamp Time of the measurement (POSIXct or milliseconds); now when `NULL`.
#' @param step Step (an integer); 0 when `NULL`. Doubles are exact only up to 2^53, so
#'   larger steps and timestamps are refused as doubles; give them as digit strings
#'   (`"4611686018427387904"`), sent exactly.
#' @inheritParams mlflow_log_param
#' @return `value`, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), {
#'     mlflow_log_metric("auc", 0.91)
#'     mlflow_log_metric("loss", NaN, step = 2)
#'   })
#' }
#' @export
mlflow_log_metric <- function(key, value, timestamp = NULL, step = NULL, run_id = NULL,
                              client = NULL) {
  check_keys(key, "key")
  if (!is.numeric(value) || length(value) != 1L) abort_invalid("value must be a single number", "value")
  # NA is "no value" in R, not a double the server can store (NaN and Inf are).
  if (is.na(value) && !is.nan(value)) abort_invalid("value is NA; log NaN for a missing measurement", "value")
  timestamp <- time_to_ms(timestamp)
  check_int64(timestamp, "timestamp")
  check_int64(step, "step")
  logger <- background_logger(run_id %||% active_run_id())
  if (!is.null(logger)) {
    logger_add(logger, key, value, buffered_int64(timestamp, "timestamp"), buffered_int64(step %||% 0, "step"))
    notify_observers("log_metric", list(run_id = run_id %||% active_run_id(), key = key,
                                        value = value, timestamp = timestamp, step = step %||% 0))
    return(invisible(value))
  }
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  body <- sprintf('{"run_id":%s,"key":%s,"value":%s,"timestamp":%s,"step":%s}',
                  json_quote(run_id), json_quote(key), json_metric_value(value),
                  json_int64(timestamp %||% now_ms()), json_int64(step %||% 0))
  api_runs_log_metric(client, .body = json_text(body))
  notify_observers("log_metric", list(run_id = run_id, key = key, value = value,
                                      timestamp = timestamp, step = step %||% 0))
  invisible(value)
}

#' Set or delete a run tag
#'
#' @param key Tag key.
#' @param value Tag value (converted to a string).
#' @inheritParams mlflow_log_param
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), {
#'     mlflow_set_tag("team", "r")
#'     mlflow_delete_tag("team")
#'   })
#' }
#' @export
mlflow_set_tag <- function(key, value, run_id = NULL, client = NULL) {
  check_keys(key, "key")
  text <- as.character(value)
  check_string(text, "value")
  check_max_length(text, "value", "max_tag_value_length")
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  api_runs_set_tag(client, run_id = run_id, key = key, value = text)
  notify_observers("set_tag", list(run_id = run_id, key = key, value = text))
  invisible(value)
}

#' @rdname mlflow_set_tag
#' @export
mlflow_delete_tag <- function(key, run_id = NULL, client = NULL) {
  check_keys(key, "key")
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  api_runs_delete_tag(client, run_id = run_id, key = key)
  invisible(NULL)
}

#' Log many metrics, params and tags
#'
#' Any amount is accepted: it is sent in as many requests as the server's limits need
#' (1000 metrics, 100 params, 100 tags, 1000 entities and 1 MB per request, read from the
#' spec), with a param key never twice in one request.
#'
#' @param metrics Data frame with columns `key`, `value` and optionally `timestamp`, `step`.
#' @param params Data frame with columns `key`, `value`, or a named list.
#' @param tags Data frame with columns `key`, `value`, or a named list.
#' @inheritParams mlflow_log_param
#' @return The number of requests sent, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), {
#'     mlflow_log_batch(
#'       metrics = data.frame(key = "loss", value = 1 / (1:2500), step = 1:2500),
#'       params = list(ntree = 500, mtry = 3),
#'       tags = list(team = "r"))
#'   })
#' }
#' @export
mlflow_log_batch <- function(metrics = NULL, params = NULL, tags = NULL, run_id = NULL,
                             client = NULL) {
  entities <- batch_entities(metrics, params, tags)
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  bodies <- batch_bodies(run_id, entities)
  # One request at a time (R has no threads), so always within the write window; its answers
  # still move the window the session's background loggers share. Each request, its retries
  # included, holds one of the host's write slots, shared with the host's other writers
  # (host_slots.R): 64 processes each within its own window still deadlock the server.
  window <- write_window(client)
  slots <- host_slots_for(client)
  for (body in bodies) {
    slot <- host_slot_acquire(slots, client$timeout)
    tryCatch(api_runs_log_batch(client, .body = json_text(body)), finally = host_slot_release(slot))
    window_stored(window)
  }
  notify_observers("log_batch", list(run_id = run_id, metrics = metrics, params = params, tags = tags))
  invisible(length(bodies))
}
