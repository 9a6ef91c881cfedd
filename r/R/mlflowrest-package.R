#' mlflowrest: the MLflow REST API with the mlflow package's vocabulary
#'
#' Set `MLFLOW_TRACKING_URI` (or call [mlflow_set_tracking_uri()]) and use the
#' `mlflow_*` functions as with the CRAN mlflow package.
#'
#' @section Errors:
#' Every failure is a condition of class `mlflowrest_error`. HTTP error answers add
#' `mlflowrest_api_error` (fields `http_status`, `error_code`, `server_message`, `method`,
#' `path`) and one of `mlflowrest_invalid_parameter_value`,
#' `mlflowrest_resource_already_exists`, `mlflowrest_resource_does_not_exist`,
#' `mlflowrest_unauthenticated`, `mlflowrest_permission_denied`, `mlflowrest_conflict`,
#' `mlflowrest_rate_limited`, `mlflowrest_server_error`, `mlflowrest_unexpected_response`.
#' Connection failures are `mlflowrest_transport_error`, timeouts also
#' `mlflowrest_timeout`. Client-side validation raises
#' `mlflowrest_invalid_parameter_value` with `field` and `limit` set and no `http_status`.
#'
#' @section Retries:
#' Connection errors, timeouts and HTTP 408, 429, 500, 502, 503, 504 are retried up to
#' `MLFLOW_HTTP_REQUEST_MAX_RETRIES` times, waiting `Retry-After` (at most 60 s) or
#' `min(factor * 2^n, 60) + uniform(0, jitter)` seconds. Other 4xx answers are never
#' retried. Creates of runs, experiments and registered models are made safe to retry with
#' a request-id tag (`mlflow.mlflowrest.requestId`, which MLflow's UI hides).
#'
#' @keywords internal
"_PACKAGE"
