# The model registry: the CRAN package's functions, plus aliases. Results are the
# server's objects as lists, as in the CRAN package.

registry_tags_body <- function(tags) {
  body <- tags_body(tags)
  for (tag in body) check_max_length(tag$value, "tag value", "max_model_registry_tag_value_length")
  body
}

#' Create a registered model
#'
#' Safe to retry like [mlflow_create_experiment()] (a request-id tag).
#'
#' @param name Model name.
#' @param tags Named list of tags.
#' @param description Description.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The registered model (a list).
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name, tags = list(team = "r"), description = "example")
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_create_registered_model <- function(name, tags = NULL, description = NULL, client = NULL) {
  check_string(name, "name")
  client <- resolve_client(client)
  api_registered_models_create(client, name = name, description = description,
                               tags = registry_tags_body(tags))$registered_model
}

#' Get, rename, update or delete a registered model
#'
#' @param name Model name.
#' @param new_name The new name.
#' @param description The new description.
#' @inheritParams mlflow_create_registered_model
#' @return The registered model (a list); `NULL` for delete.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   mlflow_update_registered_model(name, description = "updated")
#'   mlflow_rename_registered_model(name, paste0(name, "-renamed"))
#'   mlflow_get_registered_model(paste0(name, "-renamed"))$description
#'   mlflow_delete_registered_model(paste0(name, "-renamed"))
#' }
#' @export
mlflow_get_registered_model <- function(name, client = NULL) {
  check_string(name, "name")
  client <- resolve_client(client)
  api_registered_models_get(client, name = name)$registered_model
}

#' @rdname mlflow_get_registered_model
#' @export
mlflow_rename_registered_model <- function(name, new_name, client = NULL) {
  check_string(new_name, "new_name")
  client <- resolve_client(client)
  api_registered_models_rename(client, name = name, new_name = new_name)$registered_model
}

#' @rdname mlflow_get_registered_model
#' @export
mlflow_update_registered_model <- function(name, description, client = NULL) {
  client <- resolve_client(client)
  api_registered_models_update(client, name = name, description = description)$registered_model
}

#' @rdname mlflow_get_registered_model
#' @export
mlflow_delete_registered_model <- function(name, client = NULL) {
  client <- resolve_client(client)
  api_registered_models_delete(client, name = name)
  invisible(NULL)
}

#' Search registered models
#'
#' Sent as GET, the method the server serves (the CRAN package sends POST). Follows page
#' tokens until `max_results` models are collected.
#'
#' @param filter A filter expression, e.g. `"name LIKE 'churn%'"`.
#' @param max_results Most models to return.
#' @param order_by Character vector of order clauses.
#' @param page_token Token to resume from.
#' @inheritParams mlflow_create_registered_model
#' @return `list(registered_models = <list>, next_page_token = <string or NULL>)`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_search_registered_models(filter = "name LIKE 'model-%'", max_results = 5)
#' }
#' @export
mlflow_search_registered_models <- function(filter = NULL, max_results = 100, order_by = list(),
                                            page_token = NULL, client = NULL) {
  client <- resolve_client(client)
  pages <- collect_pages(max_results, page_token, "registered_models", function(n, token) {
    api_registered_models_search(client,
      filter = filter,
      max_results = min(n, limit("max_results_search_registered_models")),
      order_by = if (length(order_by)) unlist(order_by), page_token = token
    )
  })
  list(registered_models = pages$items, next_page_token = pages$next_page_token)
}

#' Get the latest version of a model in each stage
#'
#' @param name Model name.
#' @param stages Stages to look at (all when empty).
#' @inheritParams mlflow_create_registered_model
#' @return A list of model versions.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   run <- mlflow_start_run()
#'   uri <- mlflow_log_model(mlflow_crate(function(x) x), "model")
#'   mlflow_end_run()
#'   mlflow_create_model_version(name, source = uri, run_id = mlflow_id(run))
#'   length(mlflow_get_latest_versions(name))
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_get_latest_versions <- function(name, stages = list(), client = NULL) {
  client <- resolve_client(client)
  api_registered_models_get_latest_versions(client,
    name = name, stages = if (length(stages)) as.list(unlist(stages))
  )$model_versions %||% list()
}

#' Create a model version
#'
#' @param name Registered model name.
#' @param source The model's location, e.g. `runs:/<run_id>/model` or its artifact URI.
#' @param run_id The run that produced it.
#' @param tags Named list of tags.
#' @param run_link A link to the run.
#' @param description Description.
#' @inheritParams mlflow_create_registered_model
#' @return The model version (a list).
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   run <- mlflow_start_run()
#'   uri <- mlflow_log_model(mlflow_crate(function(x) x * 2), "model")
#'   mlflow_end_run()
#'   version <- mlflow_create_model_version(name, source = uri, run_id = mlflow_id(run))
#'   version$version
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_create_model_version <- function(name, source, run_id = NULL, tags = NULL, run_link = NULL,
                                        description = NULL, client = NULL) {
  client <- resolve_client(client)
  # Each create makes the next version: a retry first looks for the version this call made
  # (request_ids.R).
  api_model_versions_create(client, name = name, source = source, run_id = run_id,
                            tags = registry_tags_body(tags), run_link = run_link,
                            description = description)$model_version
}

#' Get, update or delete a model version
#'
#' @param name Registered model name.
#' @param version Version number.
#' @param description The new description.
#' @inheritParams mlflow_create_registered_model
#' @return The model version (a list); `NULL` for delete.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   run <- mlflow_start_run()
#'   uri <- mlflow_log_model(mlflow_crate(function(x) x), "model")
#'   mlflow_end_run()
#'   mlflow_create_model_version(name, source = uri, run_id = mlflow_id(run))
#'   mlflow_update_model_version(name, 1, description = "first")
#'   mlflow_get_model_version(name, 1)$description
#'   mlflow_delete_model_version(name, 1)
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_get_model_version <- function(name, version, client = NULL) {
  client <- resolve_client(client)
  api_model_versions_get(client, name = name, version = as.character(version))$model_version
}

#' @rdname mlflow_get_model_version
#' @export
mlflow_update_model_version <- function(name, version, description, client = NULL) {
  client <- resolve_client(client)
  api_model_versions_update(client,
    name = name, version = as.character(version), description = description
  )$model_version
}

#' @rdname mlflow_get_model_version
#' @export
mlflow_delete_model_version <- function(name, version, client = NULL) {
  client <- resolve_client(client)
  api_model_versions_delete(client, name = name, version = as.character(version))
  invisible(NULL)
}

#' Set a model version tag
#'
#' @param name Registered model name.
#' @param version Version number.
#' @param key Tag key.
#' @param value Tag value.
#' @param stage Unused; kept for the CRAN package's signature.
#' @inheritParams mlflow_create_registered_model
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   run <- mlflow_start_run()
#'   uri <- mlflow_log_model(mlflow_crate(function(x) x), "model")
#'   mlflow_end_run()
#'   mlflow_create_model_version(name, source = uri, run_id = mlflow_id(run))
#'   mlflow_set_model_version_tag(name, 1, key = "validated", value = "yes")
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_set_model_version_tag <- function(name, version = NULL, key = NULL, value = NULL,
                                         stage = NULL, client = NULL) {
  check_keys(key, "key", "max_model_registry_tag_key_length")
  value <- as.character(value)
  check_max_length(value, "value", "max_model_registry_tag_value_length")
  client <- resolve_client(client)
  api_model_versions_set_tag(client,
    name = name, version = as.character(version), key = key, value = value
  )
  invisible(NULL)
}

#' Move a model version to a stage
#'
#' @param name Registered model name.
#' @param version Version number.
#' @param stage `"None"`, `"Staging"`, `"Production"` or `"Archived"`.
#' @param archive_existing_versions Archive the versions already in `stage`.
#' @inheritParams mlflow_create_registered_model
#' @return The model version (a list).
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   run <- mlflow_start_run()
#'   uri <- mlflow_log_model(mlflow_crate(function(x) x), "model")
#'   mlflow_end_run()
#'   mlflow_create_model_version(name, source = uri, run_id = mlflow_id(run))
#'   mlflow_transition_model_version_stage(name, 1, "Staging")$current_stage
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_transition_model_version_stage <- function(name, version, stage,
                                                  archive_existing_versions = FALSE, client = NULL) {
  client <- resolve_client(client)
  api_model_versions_transition_stage(client,
    name = name, version = as.character(version), stage = stage,
    archive_existing_versions = isTRUE(archive_existing_versions)
  )$model_version
}

#' Registered model aliases
#'
#' @param name Registered model name.
#' @param alias The alias, e.g. `"champion"`.
#' @param version Version number the alias points to.
#' @inheritParams mlflow_create_registered_model
#' @return `mlflow_get_model_version_by_alias()` returns the model version (a list).
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   run <- mlflow_start_run()
#'   uri <- mlflow_log_model(mlflow_crate(function(x) x + 1), "model")
#'   mlflow_end_run()
#'   mlflow_create_model_version(name, source = uri, run_id = mlflow_id(run))
#'   mlflow_set_registered_model_alias(name, "champion", 1)
#'   mlflow_get_model_version_by_alias(name, "champion")$version
#'   mlflow_predict(mlflow_load_model(sprintf("models:/%s@champion", name)), 1)
#'   mlflow_delete_registered_model_alias(name, "champion")
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_set_registered_model_alias <- function(name, alias, version, client = NULL) {
  check_alias(alias)
  client <- resolve_client(client)
  api_registered_models_set_alias(client,
    name = name, alias = alias, version = as.character(version)
  )
  invisible(NULL)
}

#' @rdname mlflow_set_registered_model_alias
#' @export
mlflow_delete_registered_model_alias <- function(name, alias, client = NULL) {
  client <- resolve_client(client)
  api_registered_models_delete_alias(client, name = name, alias = alias)
  invisible(NULL)
}

#' @rdname mlflow_set_registered_model_alias
#' @export
mlflow_get_model_version_by_alias <- function(name, alias, client = NULL) {
  client <- resolve_client(client)
  api_registered_models_get_version_by_alias(client, name = name, alias = alias)$model_version
}

#' Set or delete a registered model tag
#'
#' @param name Registered model name.
#' @param key Tag key.
#' @param value Tag value.
#' @inheritParams mlflow_create_registered_model
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   mlflow_set_registered_model_tag(name, "team", "r")
#'   mlflow_delete_registered_model_tag(name, "team")
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_set_registered_model_tag <- function(name, key, value, client = NULL) {
  check_keys(key, "key", "max_model_registry_tag_key_length")
  value <- as.character(value)
  check_max_length(value, "value", "max_model_registry_tag_value_length")
  client <- resolve_client(client)
  api_registered_models_set_tag(client, name = name, key = key, value = value)
  invisible(NULL)
}

#' @rdname mlflow_set_registered_model_tag
#' @export
mlflow_delete_registered_model_tag <- function(name, key, client = NULL) {
  client <- resolve_client(client)
  api_registered_models_delete_tag(client, name = name, key = key)
  invisible(NULL)
}

#' Delete a model version tag
#'
#' @param name Registered model name.
#' @param version Version number.
#' @param key Tag key.
#' @inheritParams mlflow_create_registered_model
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   name <- basename(tempfile("model-"))
#'   mlflow_create_registered_model(name)
#'   run <- mlflow_start_run()
#'   uri <- mlflow_log_model(mlflow_crate(function(x) x), "model")
#'   mlflow_end_run()
#'   mlflow_create_model_version(name, source = uri, run_id = mlflow_id(run))
#'   mlflow_set_model_version_tag(name, 1, key = "validated", value = "yes")
#'   mlflow_delete_model_version_tag(name, 1, "validated")
#'   mlflow_delete_registered_model(name)
#' }
#' @export
mlflow_delete_model_version_tag <- function(name, version, key, client = NULL) {
  client <- resolve_client(client)
  api_model_versions_delete_tag(client, name = name, version = as.character(version), key = key)
  invisible(NULL)
}

#' Search model versions
#'
#' Follows page tokens until `max_results` versions are collected.
#'
#' @param filter A filter expression, e.g. `"name = 'churn'"` or `"run_id = '...'"`.
#' @param max_results Most versions to return.
#' @param order_by Character vector of order clauses.
#' @param page_token Token to resume from.
#' @inheritParams mlflow_create_registered_model
#' @return `list(model_versions = <list>, next_page_token = <string or NULL>)`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_search_model_versions(filter = "name LIKE 'model-%'", max_results = 5)
#' }
#' @export
mlflow_search_model_versions <- function(filter = NULL, max_results = 1000, order_by = list(),
                                         page_token = NULL, client = NULL) {
  client <- resolve_client(client)
  pages <- collect_pages(max_results, page_token, "model_versions", function(n, token) {
    api_model_versions_search(client,
      filter = filter, max_results = n,
      order_by = if (length(order_by)) unlist(order_by), page_token = token
    )
  })
  list(model_versions = pages$items, next_page_token = pages$next_page_token)
}
