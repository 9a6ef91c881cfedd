# Every operation of the spec, by its operationId: mlflow_call_operation() calls the function
# generated for it (generated_operations.R), which sends it through send_operation() and the one
# request helper. Nothing the server serves is out of reach while a CRAN-vocabulary function is
# missing, and the package's own functions reach their routes the same way.

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
  name <- if (is.character(operation_id) && length(operation_id) == 1L) api_operation_functions[operation_id]
  if (is.null(name) || is.na(name)) {
    abort_invalid(sprintf("no operation '%s' in the spec", paste(operation_id, collapse = ", ")),
                  "operation_id", "an operationId of openapi/mlflow.yaml")
  }
  op <- rules_operations[[operation_id]]
  if (op$body == "binary" || op$answer == "binary") {
    abort_invalid(sprintf("%s streams bytes: use the artifact functions", operation_id), "operation_id",
                  "a JSON operation")
  }
  fn <- operation_overrides[[operation_id]] %||% get(name)
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
send_operation <- function(client, operation_id, path = NULL, query = NULL, body = NULL,
                           before_retry = NULL, ...) {
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
  query <- compact(query)
  # A body given as JSON text was checked by the function that encoded it.
  if (!inherits(body, c("json", "verbatim"))) {
    checked <- check_operation(operation_id, c(query, body))
    if (length(query)) query[] <- checked[names(query)]
    if (length(body)) body[] <- checked[names(body)]
  }
  create <- with_request_id(client, operation_id, body, before_retry)
  # A client with a journal records writes first (journal_mode.R); offline it answers itself.
  if (!is.null(client$journal) && !length(list(...))) {
    answer <- journal_request(client, operation_id, op$method, route, query, create$body, create$before_retry)
    if (!is.null(answer)) return(answer)
  }
  mlflow_request(client, op$method, route, query = if (length(query)) query,
                 body = create$body, before_retry = create$before_retry, ...)
}

# Operations whose one call the SDK sends as several requests, by their API arguments: what
# mlflow_call_operation() runs instead of the generated function (which sends one request).
operation_overrides <- list(
  # Any number of points, params and tags, chunked to the server's limits (batch.R).
  logBatch = function(client, run_id, metrics = NULL, params = NULL, tags = NULL) {
    if (missing(run_id) || is.null(run_id)) abort_invalid("run_id is required", "run_id")
    mlflow_log_batch(metrics = metrics_frame(metrics), params = key_value_frame(params),
                     tags = key_value_frame(tags), run_id = run_id, client = client)
    structure(list(), names = character())
  }
)

key_value_frame <- function(records) {
  if (!length(records)) return(NULL)
  field <- function(name) vapply(records, function(r) as.character(r[[name]] %||% NA), "")
  data.frame(key = field("key"), value = field("value"), stringsAsFactors = FALSE)
}

metrics_frame <- function(records) {
  if (!length(records)) return(NULL)
  cells <- function(name) lapply(records, function(r) r[[name]])
  data.frame(key = vapply(records, function(r) as.character(r$key %||% NA), ""),
             value = vapply(cells("value"), json_number, numeric(1)),
             timestamp = int64_column(cells("timestamp"), now_ms()),
             step = int64_column(cells("step"), 0), stringsAsFactors = FALSE)
}

# The API's numbers: JSON numbers, or "NaN", "Infinity" and "-Infinity" as strings.
json_number <- function(value) {
  if (is.null(value)) return(NA_real_)
  if (is.character(value)) {
    switch(value, "NaN" = NaN, "Infinity" = Inf, "-Infinity" = -Inf,
           abort_invalid(sprintf("'%s' is not a number", value), "value"))
  } else {
    as.numeric(value)
  }
}

# int64 cells: digit strings (beyond 2^53) stay text, sent exactly; a missing cell is `missing`.
int64_column <- function(cells, missing) {
  cells <- lapply(cells, function(v) v %||% missing)
  if (any(vapply(cells, is.character, TRUE))) vapply(cells, as.character, "") else vapply(cells, as.numeric, 0)
}
