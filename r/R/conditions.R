#' Condition classes
#'
#' Every failure is a condition whose class chain ends in `mlflowrest_error`, `error`,
#' `condition`, most specific first, so callers catch by class:
#' `tryCatch(expr, mlflowrest_resource_does_not_exist = function(e) ...)`. The names are
#' those of the Python and Java SDKs' exceptions (`MlflowError`, `ApiError`, ...).
#'
#' | class | raised for | fields |
#' |---|---|---|
#' | `mlflowrest_error` | base of all below; also usage errors (no active run, no loadable flavor) | `message` |
#' | `mlflowrest_transport_error` | no HTTP answer: refused or reset, DNS, TLS | `method`, `path`, `attempts` |
#' | `mlflowrest_timeout` | the request's timeout expired (also a transport error) | as above |
#' | `mlflowrest_api_error` | any error | `http_status`, `error_code`, `server_message`, `method`, `path`, `attempts` |
#' | `mlflowrest_invalid_parameter_value` | 400, or caught before sending | then also `field` and `limit` |
#' | `mlflowrest_resource_already_exists` | RESOURCE_ALREADY_EXISTS, ALREADY_EXISTS | |
#' | `mlflowrest_resource_does_not_exist` | 404: RESOURCE_DOES_NOT_EXIST, NOT_FOUND, ENDPOINT_NOT_FOUND | |
#' | `mlflowrest_unauthenticated` | 401, also HTML answers | |
#' | `mlflowrest_permission_denied` | 403, also text answers | |
#' | `mlflowrest_conflict` | 409: ABORTED, RESOURCE_CONFLICT | |
#' | `mlflowrest_rate_limited` | 429 after the retries ran out | |
#' | `mlflowrest_server_error` | 5xx after the retries ran out | |
#' | `mlflowrest_unexpected_response` | a success whose body is not the JSON expected | |
#' | `mlflowrest_journal_error` | journal: a failed write (disk full), corrupt line, offline read | `file`, `line` |
#' | `mlflowrest_cli_not_found` | [mlflow_server()] / [mlflow_ui()] without an `mlflow` executable | |
#'
#' Messages never contain a token or password.
#'
#' @name mlflowrest_conditions
#' @aliases mlflowrest_error mlflowrest_transport_error mlflowrest_timeout
#'   mlflowrest_api_error mlflowrest_invalid_parameter_value
#'   mlflowrest_resource_already_exists mlflowrest_resource_does_not_exist
#'   mlflowrest_unauthenticated mlflowrest_permission_denied mlflowrest_conflict
#'   mlflowrest_rate_limited mlflowrest_server_error mlflowrest_unexpected_response
#'   mlflowrest_cli_not_found mlflowrest_journal_error
#' @examples
#' err <- tryCatch(mlflow_client("ftp://example.org"),
#'                 mlflowrest_invalid_parameter_value = function(e) e)
#' class(err)
#' err$field
#' if (mlflowrest:::server_reachable()) {
#'   tryCatch(mlflow_get_run("0123456789abcdef0123456789abcdef"),
#'            mlflowrest_resource_does_not_exist = function(e) e$http_status)
#' }
NULL
