# One family of classed conditions, named as in docs/design.md, so callers write
# tryCatch(..., mlflowrest_resource_does_not_exist = function(e) ...) instead of
# grepping messages. Messages never contain credentials: they are built from the
# method, the path (no query string) and the server's own message.

# The most specific class for an HTTP error answer, by openapi/family-rules.yaml (generated
# into generated_rules.R): the body's error_code first, then the answer's actual status; a
# 3xx is an unexpected response; NULL leaves just mlflowrest_api_error.
api_error_class <- function(error_code, http_status) {
  if (!is.null(error_code) && error_code %in% names(rules_by_error_code)) {
    return(rules_by_error_code[[error_code]])
  }
  if (is.null(http_status) || is.na(http_status)) return(NULL)
  key <- as.character(http_status)
  if (key %in% names(rules_by_status)) return(rules_by_status[[key]])
  if (http_status < 400L) return(rules_redirect_class)
  if (http_status >= rules_server_error_from) return("mlflowrest_server_error")
  NULL
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
  # The family's message format (family-rules.yaml, errors.message_format).
  text <- sprintf("%s %s: %s (%s %s)", http_status, error_code %||% "ERROR", message, method, path)
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
