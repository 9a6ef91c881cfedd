# The fluent API's state: the stack of active runs and the active experiment, as in the
# CRAN package. Functions called with run_id = NULL log to the active run, starting one
# when none is active.

active_run_stack <- function() .globals$active_runs %||% list()

active_run_id <- function() {
  stack <- active_run_stack()
  if (length(stack)) stack[[length(stack)]]$run_id else NULL
}

push_active_run <- function(run_id, client) {
  watch_exit()
  .globals$active_runs <- c(active_run_stack(), list(list(run_id = run_id, client = client)))
}

pop_active_run <- function(run_id) {
  stack <- active_run_stack()
  .globals$active_runs <- Filter(function(r) !identical(r$run_id, run_id), stack)
}

active_experiment_id <- function(client = NULL) {
  if (!is.null(.globals$active_experiment_id)) return(.globals$active_experiment_id)
  id <- Sys.getenv("MLFLOW_EXPERIMENT_ID", "")
  if (nzchar(id)) return(id)
  name <- Sys.getenv("MLFLOW_EXPERIMENT_NAME", "")
  if (nzchar(name)) {
    return(mlflow_get_experiment(name = name, client = resolve_client(client))$experiment_id)
  }
  # In a Databricks notebook, the notebook's own experiment, as with CRAN mlflow there.
  databricks_context()$experiment_id %||% "0"
}

# The run a fluent call writes to.
resolve_run_id <- function(run_id) {
  if (!is.null(run_id)) return(check_run_id(run_id))
  active_run_id() %||% mlflow_start_run()$run_id
}

#' Start a run
#'
#' Without `client`, the run becomes the active run that fluent calls log to; it resumes
#' `run_id` (or `MLFLOW_RUN_ID`) when given. With `client`, the run is only created, as in
#' the CRAN package. `with(mlflow_start_run(), { ... })` ends the run `FINISHED`, or
#' `FAILED` when the block raises an error, which is then re-signalled (the CRAN package
#' swallows it); an interrupt ends it `KILLED`.
#'
#' With `background = TRUE`, [mlflow_log_metric()] calls for the run only buffer the
#' point (microseconds instead of a request each): batches of up to the server's 1000
#' metrics go out without blocking, at most two at a time, and failed batches are sent
#' again. [mlflow_end_run()] and [mlflow_flush()] wait until every point is stored; a
#' session that ends without them still sends the points as it exits. Without threads in
#' R, batches advance only while logging calls are made (or during a flush).
#'
#' @param run_id A run to resume.
#' @param experiment_id Experiment for a new run, which then becomes the active experiment;
#'   the active experiment when `NULL` (in a Databricks notebook, the notebook's).
#' @param start_time Start time (POSIXct or milliseconds since the epoch); now when `NULL`.
#' @param tags Named list of extra tags.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @param nested Allow starting a run while another is active (it becomes the parent).
#' @param background Buffer the run's metrics and send them in batches in the background.
#' @param flush_interval With `background`, the longest a point waits in the buffer before
#'   its batch is sent (seconds), as long as logging calls keep coming.
#' @param idempotency_key A key for this unit of work (e.g. `"job-42/group-7"`): a start with a
#'   key an earlier start used in the experiment returns that run instead of creating one. It is
#'   set RUNNING again, or, when the earlier attempt finished it, returned with attribute
#'   `already_finished = TRUE` and left as it was by [mlflow_end_run()]. Concurrent starts with
#'   one key end with one run.
#' @return A one-row data frame of class `mlflow_run`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), {
#'     mlflow_log_param("alpha", 0.5)
#'     mlflow_log_metric("rmse", 0.82)
#'   })
#'   run <- mlflow_start_run(background = TRUE)
#'   for (step in 1:100) mlflow_log_metric("loss", 1 / step, step = step)
#'   mlflow_end_run()
#' }
#' @export
mlflow_start_run <- function(run_id = NULL, experiment_id = NULL, start_time = NULL,
                             tags = NULL, client = NULL, nested = FALSE, background = FALSE,
                             flush_interval = 1, idempotency_key = NULL) {
  if (isTRUE(background)) check_flush_interval(flush_interval)
  if (!is.null(idempotency_key)) check_idempotency_key(idempotency_key)
  if (!is.null(client)) {
    client <- resolve_client(client)
    run <- create_run(client, experiment_id, start_time, tags, parent = NULL, idempotency_key)
    if (isTRUE(background)) start_background_logger(client, run$run_id, flush_interval)
    return(run)
  }
  parent <- active_run_id()
  if (!is.null(parent) && !nested) {
    abort_usage(sprintf(
      "run %s is already active: end it with mlflow_end_run() or pass nested = TRUE", parent))
  }
  client <- mlflow_client()
  run_id <- run_id %||% non_empty(Sys.getenv("MLFLOW_RUN_ID"))
  run <- if (!is.null(run_id)) {
    check_run_id(run_id)
    mlflow_update_run(run_id, status = "RUNNING", client = client)
    mlflow_get_run(run_id, client = client)
  } else {
    create_run(client, experiment_id, start_time, tags, parent, idempotency_key)
  }
  # Later fluent calls (mlflow_search_runs(), the next run) use the run's experiment.
  if (!is.null(experiment_id)) .globals$active_experiment_id <- as.character(experiment_id)
  if (isTRUE(background)) start_background_logger(client, run$run_id, flush_interval)
  push_active_run(run$run_id, client)
  run
}

run_user <- function() non_empty(Sys.info()[["user"]]) %||% "unknown"

# CRAN's tags; a Databricks notebook or job replaces the source tags with its own.
default_run_tags <- function(parent) {
  source_file <- sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))
  tags <- compact(list(
    mlflow.user = run_user(),
    mlflow.source.name = if (length(source_file)) source_file[1] else "R",
    mlflow.source.type = "LOCAL",
    mlflow.parentRunId = parent
  ))
  utils::modifyList(tags, databricks_context()$tags %||% list())
}

# runs/create is not idempotent. Each create carries a request id tag; before a retry the
# run that a lost first try may have made is looked up by that tag.
create_run <- function(client, experiment_id, start_time, tags, parent, idempotency_key = NULL) {
  experiment_id <- as.character(experiment_id %||% active_experiment_id(client))
  check_experiment_id(experiment_id)
  if (!is.null(idempotency_key)) {
    tags <- utils::modifyList(as.list(tags %||% list()), stats::setNames(list(idempotency_key), idempotency_key_tag))
    started <- start_idempotent(client, experiment_id, idempotency_key, function() {
      create_run_wire(client, experiment_id, start_time, tags, parent)
    })
    run <- as_mlflow_run(started$run, client)
    attr(run, "resumed") <- started$resumed
    attr(run, "already_finished") <- identical(started$previous_status, "FINISHED")
    # mlflow_end_run() leaves a finished run as the first attempt left it.
    if (attr(run, "already_finished")) .globals$finished_runs <- union(.globals$finished_runs, run$run_id)
    notify_observers("create_run", run)
    return(run)
  }
  run <- as_mlflow_run(create_run_wire(client, experiment_id, start_time, tags, parent), client)
  notify_observers("create_run", run)
  run
}

create_run_wire <- function(client, experiment_id, start_time, tags, parent) {
  all_tags <- utils::modifyList(default_run_tags(parent), as.list(tags %||% list()))
  # The request id that makes a retried create safe is added by send_operation() (request_ids.R).
  api_runs_create(client, experiment_id = experiment_id,
                  user_id = all_tags[["mlflow.user"]] %||% run_user(),
                  start_time = time_to_ms(start_time, "start_time") %||% now_ms(),
                  tags = tags_body(all_tags))$run
}

#' Update a run's status, end time or name
#'
#' The general form of [mlflow_end_run()]; it does not change which run is active.
#'
#' @param run_id The run; the active run when `NULL`.
#' @param status `"RUNNING"`, `"SCHEDULED"`, `"FINISHED"`, `"FAILED"` or `"KILLED"`.
#' @param end_time End time (POSIXct or milliseconds).
#' @param run_name New run name.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The updated run's info (a list), invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   run <- mlflow_start_run()
#'   mlflow_update_run(run_name = "renamed")
#'   mlflow_end_run()
#' }
#' @export
mlflow_update_run <- function(run_id = NULL, status = NULL, end_time = NULL, run_name = NULL,
                              client = NULL) {
  run_id <- run_id %||% active_run_id()
  if (is.null(run_id)) abort_usage("no run_id given and no active run")
  check_run_id(run_id)
  client <- resolve_client(client)
  info <- api_runs_update(client,
    run_id = run_id, status = status, end_time = time_to_ms(end_time, "end_time"), run_name = run_name
  )$run_info
  if (!is.null(status)) {
    notify_observers("set_terminated", list(run_id = run_id, status = status,
                                            end_time = time_to_ms(end_time, "end_time")))
  }
  invisible(info)
}

#' End a run
#'
#' A run with a background logger is flushed first (see [mlflow_flush()]), bounded by
#' `MLFLOWREST_FLUSH_TIMEOUT`; when its metrics cannot all be stored the run is still
#' marked `status`, then the flush's error is raised.
#'
#' @param status `"FINISHED"`, `"FAILED"` or `"KILLED"`.
#' @param end_time End time (POSIXct or milliseconds); now when `NULL`.
#' @param run_id The run; the active run when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The ended run, invisibly (`NULL` when there was no active run).
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_start_run()
#'   mlflow_end_run(status = "KILLED")
#' }
#' @export
mlflow_end_run <- function(status = c("FINISHED", "FAILED", "KILLED"), end_time = NULL,
                           run_id = NULL, client = NULL) {
  status <- match.arg(status)
  run_id <- run_id %||% active_run_id()
  if (is.null(run_id)) return(invisible(NULL))
  check_run_id(run_id)
  client <- resolve_client(client)
  # The run is marked even when the flush fails (points refused, the server gone); its error
  # is raised after that, as in the Python and Java SDKs.
  flushed <- tryCatch({
    mlflow_flush(run_id)
    NULL
  }, mlflowrest_error = function(e) e)
  if (!(status == "FINISHED" && run_id %in% .globals$finished_runs)) {
    # The flush's error wins over a run that cannot be marked (deleted mid-training).
    tryCatch(
      mlflow_update_run(run_id, status = status, end_time = time_to_ms(end_time, "end_time") %||% now_ms(),
                        client = client),
      mlflowrest_error = function(e) if (is.null(flushed)) stop(e))
  }
  stop_background_logger(run_id)
  pop_active_run(run_id)
  if (!is.null(flushed)) stop(flushed)
  invisible(if (is.null(client$journal)) mlflow_get_run(run_id, client = client) else ended_run(run_id, client))
}

#' Evaluate code inside a run
#'
#' @param data A run from [mlflow_start_run()].
#' @param expr Code evaluated in the caller's environment.
#' @param ... Unused.
#' @return The value of `expr`, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), mlflow_log_metric("auc", 0.9))
#' }
#' @export
with.mlflow_run <- function(data, expr, ...) {
  run_id <- data$run_id
  client <- if (identical(run_id, active_run_id())) NULL else attr(data, "client")
  end <- function(status) mlflow_end_run(status, run_id = run_id, client = client)
  # Ending the run must not hide the user's error, which keeps propagating after this.
  end_quietly <- function(status) {
    tryCatch(end(status), error = function(e) {
      warning(sprintf("could not mark run %s %s: %s", run_id, status, conditionMessage(e)),
              call. = FALSE)
    })
  }
  value <- withCallingHandlers(
    expr,
    error = function(e) end_quietly("FAILED"),
    interrupt = function(e) end_quietly("KILLED")
  )
  end("FINISHED")
  invisible(value)
}
