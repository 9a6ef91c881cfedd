# Request ids make retried creates safe (family-rules.yaml, request_id): a create the server
# does not deduplicate carries a fresh id as a tag, and a retry after an ambiguous failure first
# looks for the entity that id marks and returns it instead of creating another. Every create
# of the spec goes through send_operation(), so the generated functions, mlflow_call_operation()
# and the CRAN-vocabulary functions all get this. Creates without a finder here (logged models,
# webhooks, datasets) are not resent after an ambiguous failure, which is also safe.

# The request-id tag of family-rules.yaml (written under the new key, read under all).
request_id_tag <- function(request_id) list(key = rules_request_id_tag, value = request_id)

carries_request_id <- function(tags, request_id) {
  any(vapply(tags %||% list(), function(t) {
    isTRUE(t$key %in% c(rules_request_id_tag, rules_legacy_request_id_tags)) && identical(t$value, request_id)
  }, logical(1)))
}

quoted <- function(value) gsub("'", "\\\\'", as.character(value %||% ""))

# operationId -> function(client, body, request_id): the answer the first try would have got,
# or NULL. Each looks the way family-rules.yaml's request_id.lookup says.
request_id_finders <- list(
  createRun = function(client, body, request_id) {
    found <- api_runs_search(client, experiment_ids = list(body$experiment_id %||% "0"), run_view_type = "ALL",
                             filter = sprintf("tags.`%s` = '%s'", rules_request_id_tag, request_id),
                             max_results = 1)$runs
    if (length(found)) list(run = found[[1]])
  },
  createExperiment = function(client, body, request_id) {
    found <- tryCatch(api_experiments_get_by_name(client, experiment_name = body$name)$experiment,
                      mlflowrest_resource_does_not_exist = function(e) NULL)
    if (carries_request_id(found$tags, request_id)) list(experiment_id = found$experiment_id)
  },
  createRegisteredModel = function(client, body, request_id) {
    found <- tryCatch(api_registered_models_get(client, name = body$name)$registered_model,
                      mlflowrest_resource_does_not_exist = function(e) NULL)
    if (carries_request_id(found$tags, request_id)) list(registered_model = found)
  },
  createModelVersion = function(client, body, request_id) {
    filter <- sprintf("name = '%s' and tags.`%s` = '%s'", quoted(body$name), rules_request_id_tag, request_id)
    found <- api_model_versions_search(client, filter = filter, max_results = 1)$model_versions
    if (length(found)) list(model_version = found[[1]])
  }
)

# The body with a fresh request id among its tags, and the lookup a retry runs first; the body
# unchanged when the operation has no finder or the caller brought its own lookup.
with_request_id <- function(client, operation_id, body, before_retry) {
  find <- request_id_finders[[operation_id]]
  if (is.null(find) || !is.null(before_retry) || !is.list(body)) {
    return(list(body = body, before_retry = before_retry))
  }
  request_id <- random_hex()
  body$tags <- c(unname(body$tags), list(request_id_tag(request_id)))
  list(body = body, before_retry = function() find(client, body, request_id))
}
