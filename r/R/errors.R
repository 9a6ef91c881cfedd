# One family of classed conditions, named as in docs/design.md, so callers write
# tryCatch(..., mlflowrest_resource_does_not_exist = function(e) ...) instead of
# grepping messages. Messages never contain credentials: they are built from the
# method, the path (no query string) and the server's own message.

api_error_class_by_code <- c(
  INVALID_PARAMETER_VALUE = "mlflowrest_invalid_parameter_value",
  BAD_REQUEST             = "mlflowrest_invalid_parameter_value",
  RESOURCE_ALREADY_EXISTS = "mlflowrest_resource_already_exists",
  ALREADY_EXISTS          = "mlflowrest_resource_already_exists",
  RESOURCE_DOES_NOT_EXIST = "mlflowrest_resource_does_not_exist",
  NOT_FOUND               = "mlflowrest_resource_does_not_exist",
  ENDPOINT_NOT_FOUND      = "mlflowrest_resource_does_not_exist",
  UNAUTHENTICATED         = "mlflowrest_unauthenticated",
  CUSTOMER_UNAUTHORIZED   = "mlflowrest_unauthenticated",
  PERMISSION_DENIED       = "mlflowrest_permission_denied",
  ABORTED                 = "mlflowrest_conflict",
  RESOURCE_CONFLICT       = "mlflowrest_conflict",
  REQUEST_LIMIT_EXCEEDED  = "mlflowrest_rate_limited",
  RESOURCE_EXHAUSTED      = "mlflowrest_rate_limited"
)

api_error_class_by_status <- c(
  "400" = "mlflowrest_invalid_parameter_value",
  "401" = "mlflowrest_unauthenticated",
  "403" = "mlflowrest_permission_denied",
  "404" = "mlflowrest_resource_does_not_exist",
  "409" = "mlflowrest_conflict",
  "429" = "mlflowrest_rate_limited"
)

# The most specific class for an HTTP error answer: the body's error_code first, then the
# status. A code we have no class for but the server's table knows (e.g. CANCELLED -> 499)
# still finds its family through the generated error_code -> status table.
api_error_class <- function(error_code, http_status) {
  if (!is.null(error_code) && error_code %in% names(api_error_class_by_code)) {
    return(api_error_class_by_code[[error_code]])
  }
  status_class <- function(status) {
    if (is.null(status) || is.na(status)) return(NULL)
    if (status >= 500) return("mlflowrest_server_error")
    key <- as.character(status)
    if (key %in% names(api_error_class_by_status)) api_error_class_by_status[[key]] else NULL
  }
  cls <- status_class(http_status)
  if (is.null(cls) && !is.null(error_code) && error_code %in% names(mlflow_error_code_status)) {
    cls <- status_class(mlflow_error_code_status[[error_code]])
  }
  cls
}

# Builds (does not signal) a condition of the family. `class` is the specific part of the
# chain, most specific first; the family's base classes are appended.
mlflowrest_condition <- function(message, class = character(), ...) {
  structure(
    class = unique(c(class, "mlflowrest_error", "error", "condition")),
    list(message = message, call = NULL, ...)
  )
}

abort_api_error <- function(http_status, error_code, message, method, path, attempts = 1L,
                            class = NULL) {
  stop(api_error(http_status, error_code, message, method, path, attempts, class))
}

# The condition abort_api_error() signals; the background logger keeps one to raise later.
api_error <- function(http_status, error_code, message, method, path, attempts = 1L,
                      class = NULL, ...) {
  if (is.null(class)) class <- api_error_class(error_code, http_status)
  text <- sprintf(
    "%s %s failed: HTTP %s%s: %s", method, path, http_status,
    if (is.null(error_code)) "" else paste0(" ", error_code), message
  )
  mlflowrest_condition(
    text, c(class, "mlflowrest_api_error"),
    http_status = as.integer(http_status), error_code = error_code,
    server_message = message, method = method, path = path, attempts = attempts, ...
  )
}

abort_transport_error <- function(message, method, path, timeout = FALSE, attempts = 1L) {
  stop(transport_error(message, method, path, timeout, attempts))
}

transport_error <- function(message, method, path, timeout = FALSE, attempts = 1L, ...) {
  caller <- user_function()
  mlflowrest_condition(
    sprintf("%s%s %s failed: %s", if (is.null(caller)) "" else paste0(caller, "(): "), method, path, message),
    c(if (timeout) "mlflowrest_timeout", "mlflowrest_transport_error"),
    method = method, path = path, attempts = attempts, ...
  )
}

# The package function the user called: the outermost exported one on the call stack
# (mlflow_log_metric(), not the runs/create it made to start a run).
user_function <- function() {
  exported <- getNamespaceExports(utils::packageName() %||% "mlflowrest")
  for (call in sys.calls()) {
    f <- call[[1]]
    if (is.call(f) && as.character(f[[1]])[1] %in% c("::", ":::")) f <- f[[3]]
    if (is.name(f) && as.character(f) %in% exported) return(as.character(f))
  }
  NULL
}

# Client-side validation failure: same class as the server's 400, without an HTTP status,
# and with the offending field and the limit it broke.
abort_invalid <- function(message, field, limit = NULL) {
  stop(mlflowrest_condition(
    message, c("mlflowrest_invalid_parameter_value", "mlflowrest_api_error"),
    http_status = NULL, error_code = "INVALID_PARAMETER_VALUE", server_message = message,
    field = field, limit = limit
  ))
}

# Errors that are not about one HTTP exchange (no active run, unsupported artifact store).
abort_usage <- function(message, ...) {
  stop(mlflowrest_condition(message, character(), ...))
}
