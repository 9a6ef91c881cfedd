# Server JSON -> data frames shaped like the CRAN package's results: one row per entity,
# times as POSIXct, and tags/params/metrics as list columns of small data frames.

key_value_df <- function(items) {
  data.frame(
    key = vapply(items, function(x) x$key %||% NA_character_, character(1)),
    value = vapply(items, function(x) as.character(x$value %||% NA_character_), character(1)),
    stringsAsFactors = FALSE
  )
}

metrics_df <- function(items, run_id = NULL) {
  df <- data.frame(
    key = vapply(items, function(x) x$key, character(1)),
    value = vapply(items, function(x) parse_metric_value(x$value), numeric(1)),
    timestamp = ms_to_time(vapply(items, function(x) as.numeric(x$timestamp %||% NA), numeric(1))),
    step = vapply(items, function(x) as.numeric(x$step %||% 0), numeric(1)),
    stringsAsFactors = FALSE
  )
  if (!is.null(run_id)) df$run_id <- rep(run_id, nrow(df))
  df
}

field <- function(x, name, default = NA_character_) {
  value <- x[[name]]
  if (is.null(value)) default else value
}

run_row <- function(run) {
  info <- run$info
  data <- run$data %||% list()
  df <- data.frame(
    run_uuid = field(info, "run_uuid", field(info, "run_id")),
    experiment_id = field(info, "experiment_id"),
    run_name = field(info, "run_name"),
    user_id = field(info, "user_id"),
    status = field(info, "status"),
    start_time = ms_to_time(info$start_time),
    end_time = ms_to_time(info$end_time),
    artifact_uri = field(info, "artifact_uri"),
    lifecycle_stage = field(info, "lifecycle_stage"),
    run_id = field(info, "run_id", field(info, "run_uuid")),
    stringsAsFactors = FALSE
  )
  df$metrics <- list(metrics_df(data$metrics %||% list()))
  df$params <- list(key_value_df(data$params %||% list()))
  df$tags <- list(key_value_df(data$tags %||% list()))
  df
}

runs_df <- function(runs) {
  if (length(runs) == 0L) {
    empty <- run_row(list(info = list(), data = list()))[0, ]
    return(structure(empty, class = c("mlflow_runs", "data.frame")))
  }
  df <- do.call(rbind, lapply(runs, run_row))
  rownames(df) <- NULL
  structure(df, class = c("mlflow_runs", "data.frame"))
}

as_mlflow_run <- function(run, client) {
  df <- run_row(run)
  attr(df, "client") <- client
  structure(df, class = c("mlflow_run", "data.frame"))
}

experiment_row <- function(experiment) {
  df <- data.frame(
    experiment_id = field(experiment, "experiment_id"),
    name = field(experiment, "name"),
    artifact_location = field(experiment, "artifact_location"),
    lifecycle_stage = field(experiment, "lifecycle_stage"),
    creation_time = ms_to_time(experiment$creation_time),
    last_update_time = ms_to_time(experiment$last_update_time),
    stringsAsFactors = FALSE
  )
  df$tags <- list(key_value_df(experiment$tags %||% list()))
  df
}

experiments_df <- function(experiments) {
  if (length(experiments) == 0L) return(experiment_row(list())[0, ])
  df <- do.call(rbind, lapply(experiments, experiment_row))
  rownames(df) <- NULL
  df
}

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
