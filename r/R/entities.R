# Server JSON -> tibbles shaped like the CRAN package's results: one row per entity, times
# as POSIXct, and tags/params/metrics as list columns of tibbles (empty rather than CRAN's
# NA when a run has none, so code can always filter them).

key_value_df <- function(items) {
  tibble::tibble(
    key = vapply(items, function(x) x$key %||% NA_character_, character(1)),
    value = vapply(items, function(x) as.character(x$value %||% NA_character_), character(1))
  )
}

metrics_df <- function(items, run_id = NULL) {
  df <- tibble::tibble(
    key = vapply(items, function(x) x$key, character(1)),
    value = vapply(items, function(x) parse_metric_value(x$value), numeric(1)),
    timestamp = ms_to_time(vapply(items, function(x) as.numeric(x$timestamp %||% NA), numeric(1))),
    step = vapply(items, function(x) as.numeric(x$step %||% 0), numeric(1))
  )
  if (!is.null(run_id)) df$run_id <- rep(run_id, nrow(df))
  df
}

# One column of an info field across entities, as character (NA when absent).
info_column <- function(infos, name, alternative = name) {
  vapply(infos, function(i) as.character(i[[name]] %||% i[[alternative]] %||% NA_character_),
         character(1))
}

info_times <- function(infos, name) {
  ms_to_time(vapply(infos, function(i) as.numeric(i[[name]] %||% NA_real_), numeric(1)))
}

# CRAN's run columns, in its order, with run_name after them.
runs_tibble <- function(runs) {
  infos <- lapply(runs, function(r) r$info %||% list())
  data <- lapply(runs, function(r) r$data %||% list())
  tibble::tibble(
    run_uuid = info_column(infos, "run_uuid", "run_id"),
    experiment_id = info_column(infos, "experiment_id"),
    user_id = info_column(infos, "user_id"),
    status = info_column(infos, "status"),
    start_time = info_times(infos, "start_time"),
    end_time = info_times(infos, "end_time"),
    artifact_uri = info_column(infos, "artifact_uri"),
    lifecycle_stage = info_column(infos, "lifecycle_stage"),
    run_id = info_column(infos, "run_id", "run_uuid"),
    run_name = info_column(infos, "run_name"),
    metrics = lapply(data, function(d) metrics_df(d$metrics %||% list())),
    params = lapply(data, function(d) key_value_df(d$params %||% list())),
    tags = lapply(data, function(d) key_value_df(d$tags %||% list()))
  )
}

runs_df <- function(runs) {
  tibble::new_tibble(runs_tibble(runs), nrow = length(runs), class = "mlflow_runs")
}

as_mlflow_run <- function(run, client) {
  df <- tibble::new_tibble(runs_tibble(list(run)), nrow = 1L, class = "mlflow_run")
  attr(df, "client") <- client
  df
}

experiments_tibble <- function(experiments) {
  tibble::tibble(
    experiment_id = info_column(experiments, "experiment_id"),
    name = info_column(experiments, "name"),
    artifact_location = info_column(experiments, "artifact_location"),
    lifecycle_stage = info_column(experiments, "lifecycle_stage"),
    creation_time = info_times(experiments, "creation_time"),
    last_update_time = info_times(experiments, "last_update_time"),
    tags = lapply(experiments, function(e) key_value_df(e$tags %||% list()))
  )
}

experiment_row <- function(experiment) {
  tibble::new_tibble(experiments_tibble(list(experiment)), nrow = 1L, class = "mlflow_experiment")
}

experiments_df <- function(experiments) experiments_tibble(experiments)

tags_body <- function(tags) {
  if (is.null(tags) || length(tags) == 0L) return(NULL)
  if (is.data.frame(tags)) tags <- stats::setNames(as.list(tags$value), tags$key)
  # The CRAN package passes registry tags through as list(list(key = , value = )).
  if (is.null(names(tags)) && all(vapply(tags, function(t) is.list(t) && !is.null(t$key), TRUE))) {
    tags <- stats::setNames(lapply(tags, function(t) t$value), vapply(tags, function(t) t$key, ""))
  }
  check_keys(names(tags), "tag key")
  unname(Map(function(key, value) list(key = key, value = as.character(value)),
             names(tags), tags))
}

#' @export
print.mlflow_run <- function(x, ...) {
  cat(sprintf("<mlflow_run %s> experiment %s, status %s\n", x$run_id, x$experiment_id, x$status))
  cat(sprintf("  artifact_uri: %s\n", x$artifact_uri))
  show <- function(label, df) {
    if (nrow(df) == 0L) return()
    cat(sprintf("  %s: %s\n", label,
                paste(sprintf("%s=%s", df$key, format(df$value)), collapse = ", ")))
  }
  show("params", x$params[[1]])
  show("metrics", x$metrics[[1]])
  invisible(x)
}

#' Get the id of a run or an experiment
#'
#' @param object A run (from [mlflow_start_run()], [mlflow_get_run()]) or an experiment
#'   (from [mlflow_get_experiment()]).
#' @return The run id or the experiment id, a string.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   run <- mlflow_start_run()
#'   mlflow_id(run)
#'   mlflow_end_run()
#'   mlflow_id(mlflow_get_experiment(experiment_id = "0"))
#' }
#' @export
mlflow_id <- function(object) UseMethod("mlflow_id")

#' @rdname mlflow_id
#' @export
mlflow_id.mlflow_run <- function(object) object$run_id %||% object$run_uuid

#' @rdname mlflow_id
#' @export
mlflow_id.mlflow_experiment <- function(object) object$experiment_id

#' @rdname mlflow_id
#' @export
mlflow_id.default <- function(object) {
  abort_usage(sprintf("mlflow_id() takes a run or an experiment, not a %s", class(object)[1]))
}
