# Runs: read, delete, restore, search, and metric history.

#' Get a run
#'
#' @param run_id The run; the active run when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return A one-row data frame of class `mlflow_run` with list columns `metrics`,
#'   `params` and `tags`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   run <- mlflow_start_run()
#'   mlflow_end_run()
#'   mlflow_get_run(mlflow_id(run))$status
#' }
#' @export
mlflow_get_run <- function(run_id = NULL, client = NULL) {
  client <- resolve_client(client)
  run_id <- run_id %||% active_run_id()
  if (is.null(run_id)) abort_usage("no run_id given and no active run")
  check_run_id(run_id)
  as_mlflow_run(api_runs_get(client, run_id = run_id)$run, client)
}

#' Delete or restore a run
#'
#' @param run_id The run.
#' @inheritParams mlflow_get_run
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   run <- mlflow_start_run()
#'   mlflow_end_run()
#'   mlflow_delete_run(mlflow_id(run))
#'   mlflow_restore_run(mlflow_id(run))
#' }
#' @export
mlflow_delete_run <- function(run_id, client = NULL) {
  client <- resolve_client(client)
  check_run_id(run_id)
  if (identical(run_id, active_run_id())) pop_active_run(run_id)
  api_runs_delete(client, run_id = run_id)
  invisible(NULL)
}

#' @rdname mlflow_delete_run
#' @export
mlflow_restore_run <- function(run_id, client = NULL) {
  client <- resolve_client(client)
  check_run_id(run_id)
  api_runs_restore(client, run_id = run_id)
  invisible(NULL)
}

#' Search runs
#'
#' Unlike the CRAN package, follows page tokens until `max_results` runs are collected.
#'
#' @param filter A filter expression, e.g. `"metrics.rmse < 1 and params.model = 'rf'"`.
#' @param run_view_type `"ACTIVE_ONLY"`, `"DELETED_ONLY"` or `"ALL"`.
#' @param experiment_ids Experiments to search; the active experiment when `NULL`.
#' @param order_by Character vector of order clauses, e.g. `"metrics.rmse ASC"`.
#' @inheritParams mlflow_get_run
#' @param max_results Most runs to return (after `client`, keeping the CRAN package's
#'   argument positions).
#' @return A data frame, one row per run, with list columns `metrics`, `params`, `tags`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), mlflow_log_metric("rmse", 0.5))
#'   runs <- mlflow_search_runs(filter = "metrics.rmse < 1", order_by = "metrics.rmse ASC")
#'   runs[, c("run_id", "status", "start_time")]
#'   runs$metrics[[1]]
#' }
#' @export
mlflow_search_runs <- function(filter = NULL, run_view_type = c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"),
                               experiment_ids = NULL, order_by = list(), client = NULL,
                               max_results = 1000) {
  client <- resolve_client(client)
  run_view_type <- match.arg(run_view_type)
  check_max_results(max_results, "max_results_search_runs")
  experiment_ids <- as.character(unlist(experiment_ids %||% active_experiment_id(client)))
  pages <- collect_pages(max_results, NULL, "runs", function(n, token) {
    api_runs_search(client,
      experiment_ids = as.list(experiment_ids), filter = filter, run_view_type = run_view_type,
      max_results = n, order_by = if (length(order_by)) as.list(unlist(order_by)),
      page_token = token
    )
  })
  runs_df(pages$items)
}

#' Get a metric's history
#'
#' Reads every page of the history.
#'
#' @param metric_key The metric.
#' @param run_id The run; the active run when `NULL`.
#' @inheritParams mlflow_get_run
#' @return A data frame with columns `key`, `value`, `timestamp`, `step`, `run_id`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   with(mlflow_start_run(), {
#'     for (step in 1:3) mlflow_log_metric("loss", 1 / step, step = step)
#'     history <- mlflow_get_metric_history("loss")
#'   })
#'   history
#' }
#' @export
mlflow_get_metric_history <- function(metric_key, run_id = NULL, client = NULL) {
  client <- resolve_client(client)
  run_id <- run_id %||% active_run_id()
  if (is.null(run_id)) abort_usage("no run_id given and no active run")
  check_run_id(run_id)
  points <- list()
  token <- NULL
  repeat {
    page <- api_metrics_get_history(client,
      run_id = run_id, metric_key = metric_key,
      max_results = limit("metric_history_page_size"), page_token = token
    )
    points <- c(points, page$metrics %||% list())
    token <- non_empty(page$next_page_token)
    if (is.null(token)) break
  }
  metrics_df(points, run_id)
}
