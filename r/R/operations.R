# Every operation of the spec, by its operationId, through the one request helper: nothing the
# server serves is out of reach while a function of the CRAN vocabulary is missing.

#' Call any operation of the MLflow REST API
#'
#' Sends the operation named by its `operationId` in the package's OpenAPI description
#' (`openapi/mlflow.yaml`, e.g. `"getMetricHistoryBulkInterval"` or `"searchLoggedModels"`),
#' with the same retries, family rules and classed conditions as every other function.
#' Arguments are the operation's path and query parameters and, for a JSON body, its fields,
#' named as the API names them. Operations that stream bytes are the artifact functions'.
#'
#' @param operation_id The operation's `operationId`.
#' @param ... Its arguments, by their API names.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The answer's JSON as a list.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_call_operation("searchExperiments", max_results = 5)$experiments[[1]]$name
#' }
#' @export
mlflow_call_operation <- function(operation_id, ..., client = NULL) {
  op <- rules_operations[[operation_id]]
  if (is.null(op)) {
    abort_invalid(sprintf("no operation '%s' in the spec", operation_id), "operation_id",
                  "an operationId of openapi/mlflow.yaml")
  }
  if (op$body == "binary" || op$answer == "binary") {
    abort_invalid(sprintf("%s streams bytes: use the artifact functions", operation_id), "operation_id",
                  "a JSON operation")
  }
  args <- list(...)
  path <- op$path
  for (name in op$path_params) {
    value <- args[[name]]
    if (is.null(value) || !nzchar(value)) abort_invalid(sprintf("%s is required", name), name)
    path <- sub(paste0("{", name, "}"), curl::curl_escape(as.character(value)), path, fixed = TRUE)
    args[[name]] <- NULL
  }
  query <- args[intersect(names(args), op$query_params)]
  args <- args[setdiff(names(args), op$query_params)]
  if (op$body == "none" && length(args)) {
    abort_invalid(sprintf("%s has no parameter '%s'", operation_id, names(args)[1]), names(args)[1],
                  paste("a parameter of", operation_id))
  }
  body <- if (op$body == "json") structure(args, names = names(args) %||% character())
  mlflow_request(resolve_client(client), op$method, path, query = if (length(query)) query, body = body)
}
