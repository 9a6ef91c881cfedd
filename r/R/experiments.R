# Experiments: the CRAN package's functions and argument names.

#' Create an experiment
#'
#' Safe to retry: the request carries a request-id tag (`mlflow.mlflowrest.requestId`, hidden
#' by MLflow's UI), and before a retry the experiment of that name is looked up: when it
#' carries this call's id (its first try made it), its id is returned.
#'
#' @param name Experiment name.
#' @param artifact_location Where the experiment's artifacts go (server default if `NULL`).
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @param tags Named list (or key/value data frame) of experiment tags.
#' @return The new experiment's id.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   id <- mlflow_create_experiment(basename(tempfile("example-")), tags = list(team = "r"))
#'   mlflow_get_experiment(experiment_id = id)$name
#'   mlflow_delete_experiment(id)
#' }
#' @export
mlflow_create_experiment <- function(name, artifact_location = NULL, client = NULL, tags = NULL) {
  check_experiment_name(name)
  client <- resolve_client(client)
  id <- api_experiments_create(client, name = name, artifact_location = artifact_location,
                               tags = tags_body(tags))$experiment_id
  notify_observers("create_experiment", list(experiment_id = id, name = name))
  id
}

#' Get an experiment by id or by name
#'
#' @param experiment_id Experiment id; the active experiment when both arguments are `NULL`.
#' @param name Experiment name.
#' @inheritParams mlflow_create_experiment
#' @return A one-row data frame.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_get_experiment(experiment_id = "0")
#' }
#' @export
mlflow_get_experiment <- function(experiment_id = NULL, name = NULL, client = NULL) {
  client <- resolve_client(client)
  if (!is.null(name) && !is.null(experiment_id)) {
    abort_usage("give either `experiment_id` or `name`, not both")
  }
  response <- if (!is.null(name)) {
    api_experiments_get_by_name(client, experiment_name = name)
  } else {
    experiment_id <- experiment_id %||% active_experiment_id(client)
    check_experiment_id(experiment_id)
    api_experiments_get(client, experiment_id = experiment_id)
  }
  experiment_row(response$experiment)
}

#' Set the active experiment
#'
#' Later fluent runs are created in it. An experiment named `experiment_name` is created
#' when it does not exist.
#'
#' @param experiment_name Experiment name.
#' @param experiment_id Experiment id.
#' @param artifact_location Artifact location used when the experiment is created.
#' @return The experiment id, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   id <- mlflow_set_experiment(basename(tempfile("example-")))
#'   with(mlflow_start_run(), mlflow_log_param("alpha", 0.5))
#'   mlflow_set_experiment(experiment_id = "0")
#'   mlflow_delete_experiment(id)
#' }
#' @export
mlflow_set_experiment <- function(experiment_name = NULL, experiment_id = NULL,
                                  artifact_location = NULL) {
  if (is.null(experiment_name) == is.null(experiment_id)) {
    abort_usage("give exactly one of `experiment_name` and `experiment_id`")
  }
  if (!is.null(experiment_name)) check_experiment_name(experiment_name)
  if (!is.null(experiment_id)) check_experiment_id(experiment_id)
  client <- mlflow_client()
  if (!is.null(experiment_name)) {
    experiment_id <- tryCatch(
      mlflow_get_experiment(name = experiment_name, client = client)$experiment_id,
      mlflowrest_resource_does_not_exist = function(e) {
        mlflow_create_experiment(experiment_name, artifact_location, client = client)
      }
    )
  } else {
    experiment_id <- mlflow_get_experiment(experiment_id = experiment_id, client = client)$experiment_id
  }
  .globals$active_experiment_id <- experiment_id
  invisible(experiment_id)
}

#' Search experiments
#'
#' Follows page tokens until `max_results` experiments are collected.
#'
#' @param filter A filter expression, e.g. `"name LIKE 'prod-%'"`.
#' @param experiment_view_type `"ACTIVE_ONLY"`, `"DELETED_ONLY"` or `"ALL"`.
#' @param max_results Most experiments to return.
#' @param order_by Character vector of order clauses, e.g. `"name ASC"`.
#' @param page_token Token to resume from.
#' @inheritParams mlflow_create_experiment
#' @return `list(experiments = <data frame>, next_page_token = <string or NULL>)`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_search_experiments(filter = "name LIKE 'Def%'", max_results = 5)$experiments
#' }
#' @export
mlflow_search_experiments <- function(filter = NULL,
                                      experiment_view_type = c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"),
                                      max_results = 1000, order_by = list(), page_token = NULL,
                                      client = NULL) {
  client <- resolve_client(client)
  experiment_view_type <- match.arg(experiment_view_type)
  check_max_results(max_results, "max_results_search_experiments")
  pages <- collect_pages(max_results, page_token, "experiments", function(n, token) {
    api_experiments_search(client,
      filter = filter, view_type = experiment_view_type, max_results = n,
      order_by = if (length(order_by)) as.list(unlist(order_by)), page_token = token
    )
  })
  list(experiments = experiments_df(pages$items), next_page_token = pages$next_page_token)
}

# Accumulates pages until `max_results` items or the last page (style: R accumulates).
collect_pages <- function(max_results, page_token, field, fetch) {
  items <- list()
  token <- page_token
  repeat {
    page <- fetch(max_results - length(items), token)
    items <- c(items, page[[field]] %||% list())
    token <- non_empty(page$next_page_token)
    if (is.null(token) || length(items) >= max_results) break
  }
  list(items = items, next_page_token = token)
}

#' Rename an experiment
#'
#' @param new_name The new name.
#' @param experiment_id Experiment id; the active experiment when `NULL`.
#' @inheritParams mlflow_create_experiment
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   id <- mlflow_create_experiment(basename(tempfile("example-")))
#'   mlflow_rename_experiment(basename(tempfile("renamed-")), experiment_id = id)
#'   mlflow_delete_experiment(id)
#' }
#' @export
mlflow_rename_experiment <- function(new_name, experiment_id = NULL, client = NULL) {
  client <- resolve_client(client)
  check_experiment_name(new_name)
  experiment_id <- experiment_id %||% active_experiment_id(client)
  api_experiments_update(client, experiment_id = as.character(experiment_id), new_name = new_name)
  invisible(NULL)
}

#' Delete or restore an experiment
#'
#' @param experiment_id Experiment id.
#' @inheritParams mlflow_create_experiment
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   id <- mlflow_create_experiment(basename(tempfile("example-")))
#'   mlflow_delete_experiment(id)
#'   mlflow_restore_experiment(id)
#'   mlflow_delete_experiment(id)
#' }
#' @export
mlflow_delete_experiment <- function(experiment_id, client = NULL) {
  client <- resolve_client(client)
  check_experiment_id(experiment_id)
  api_experiments_delete(client, experiment_id = as.character(experiment_id))
  invisible(NULL)
}

#' @rdname mlflow_delete_experiment
#' @export
mlflow_restore_experiment <- function(experiment_id, client = NULL) {
  client <- resolve_client(client)
  check_experiment_id(experiment_id)
  api_experiments_restore(client, experiment_id = as.character(experiment_id))
  invisible(NULL)
}

#' Set or delete an experiment tag
#'
#' @param key Tag key.
#' @param value Tag value.
#' @param experiment_id Experiment id; the active experiment when `NULL`.
#' @inheritParams mlflow_create_experiment
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   id <- mlflow_create_experiment(basename(tempfile("example-")))
#'   mlflow_set_experiment_tag("team", "r", experiment_id = id)
#'   mlflow_delete_experiment_tag("team", experiment_id = id)
#'   mlflow_delete_experiment(id)
#' }
#' @export
mlflow_set_experiment_tag <- function(key, value, experiment_id = NULL, client = NULL) {
  client <- resolve_client(client)
  check_keys(key, "key", "max_experiment_tag_key_length")
  value <- as.character(value)
  check_max_length(value, "value", "max_experiment_tag_value_length")
  experiment_id <- experiment_id %||% active_experiment_id(client)
  api_experiments_set_tag(client, experiment_id = as.character(experiment_id), key = key, value = value)
  invisible(NULL)
}

#' @rdname mlflow_set_experiment_tag
#' @export
mlflow_delete_experiment_tag <- function(key, experiment_id = NULL, client = NULL) {
  client <- resolve_client(client)
  check_keys(key, "key", "max_experiment_tag_key_length")
  experiment_id <- experiment_id %||% active_experiment_id(client)
  api_experiments_delete_tag(client, experiment_id = as.character(experiment_id), key = key)
  invisible(NULL)
}
