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
  fn <- if (is.character(operation_id) && length(operation_id) == 1L) api_operation_functions[operation_id]
  if (is.null(fn) || is.na(fn)) {
    abort_invalid(sprintf("no operation '%s' in the spec", paste(operation_id, collapse = ", ")),
                  "operation_id", "an operationId of openapi/mlflow.yaml")
  }
  op <- rules_operations[[operation_id]]
  if (op$body == "binary" || op$answer == "binary") {
    abort_invalid(sprintf("%s streams bytes: use the artifact functions", operation_id), "operation_id",
                  "a JSON operation")
  }
  args <- list(...)
  accepted <- setdiff(names(formals(fn)), c("client", ".body", ".before_retry"))
  unknown <- setdiff(names(args) %||% rep("", length(args)), accepted)
  if (length(unknown)) {
    abort_invalid(sprintf("%s has no parameter '%s'", operation_id, unknown[1]), unknown[1],
                  paste("a parameter of", operation_id))
  }
  do.call(fn, c(list(resolve_client(client)), args))
}

# Sends the spec operation `operation_id` (generated_operations.R calls this): the path
# parameters put into its route, empty query parameters and body fields left out.
send_operation <- function(client, operation_id, path = NULL, query = NULL, body = NULL, ...) {
  op <- rules_operations[[operation_id]]
  route <- op$path
  for (name in names(path)) {
    value <- path[[name]]
    if (is.null(value) || length(value) != 1L || is.na(value) || !nzchar(value)) {
      abort_invalid(sprintf("%s is required", name), name)
    }
    # Artifact paths keep their slashes: the route's parameter is a path.
    route <- sub(paste0("{", name, "}"), encode_path(as.character(value)), route, fixed = TRUE)
  }
  if (is.list(body)) body <- structure(compact(body), names = names(compact(body)) %||% character())
  mlflow_request(client, op$method, route, query = if (length(compact(query))) compact(query), body = body, ...)
}
