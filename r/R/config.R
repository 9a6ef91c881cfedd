# Where to send requests and with which credentials, read the way the CRAN mlflow package
# and MLflow's Python client read them (docs/design.md, "Configuration").

.globals <- new.env(parent = emptyenv())

#' Set or get the tracking server URI
#'
#' `mlflow_set_tracking_uri()` points the fluent functions (those called with
#' `client = NULL`) at a server; it takes precedence over `MLFLOW_TRACKING_URI`.
#' Accepted forms: `http(s)://host[:port][/prefix]`, `databricks` and
#' `databricks://<profile>`. Without either, inside Databricks (`DATABRICKS_RUNTIME_VERSION`
#' set, or a notebook's `.databricks_internals`) the URI is `databricks`.
#'
#' @param uri The tracking URI.
#' @return `mlflow_set_tracking_uri()` returns `uri` invisibly;
#'   `mlflow_get_tracking_uri()` returns the URI in effect, or `NULL` when none is set.
#' @examples
#' old <- Sys.getenv("MLFLOW_TRACKING_URI")
#' mlflow_set_tracking_uri("http://127.0.0.1:5000")
#' mlflow_get_tracking_uri()
#' mlflow_set_tracking_uri(if (nzchar(old)) old else "http://127.0.0.1:5000")
#' @export
mlflow_set_tracking_uri <- function(uri) {
  stopifnot(is.character(uri), length(uri) == 1L, nzchar(uri))
  .globals$tracking_uri <- uri
  invisible(uri)
}

#' @rdname mlflow_set_tracking_uri
#' @export
mlflow_get_tracking_uri <- function() {
  uri <- .globals$tracking_uri
  if (!is.null(uri)) return(uri)
  uri <- Sys.getenv("MLFLOW_TRACKING_URI", "")
  if (nzchar(uri)) uri else if (in_databricks()) "databricks" else NULL
}

# Booleans spelt as MLflow spells them (family-rules.yaml, config.truthy / falsy); anything
# else is an error naming the variable.
parse_flag <- function(value, name) {
  value <- tolower(trimws(value))
  if (value %in% rules_truthy) return(TRUE)
  if (value %in% rules_falsy) return(FALSE)
  abort_invalid(sprintf("%s='%s' is not a boolean (true/1/false/0)", name, value), name, "true/1/false/0")
}

env_flag <- function(name) parse_flag(Sys.getenv(name, ""), name)

# A setting's number from its environment variable, else its default, within its bound
# (family-rules.yaml, config.variables).
env_setting <- function(setting) {
  var <- rules_config_variables[[setting]]
  value <- Sys.getenv(var$env, "")
  if (!nzchar(value)) return(var$default)
  number <- suppressWarnings(as.numeric(value))
  if (is.na(number)) abort_invalid(sprintf("%s must be a number, got '%s'", var$env, value), var$env, var$type)
  check_bound(setting, number, var$env)
}

check_bound <- function(setting, number, field) {
  var <- rules_config_variables[[setting]]
  limit <- if (!is.null(var$min) && number < var$min) {
    paste(">=", var$min)
  } else if (!is.null(var$min_exclusive) && number <= var$min_exclusive) {
    paste(">", var$min_exclusive)
  }
  if (!is.null(limit)) abort_invalid(sprintf("%s must be %s, got %s", field, limit, number), field, limit)
  number
}

non_empty <- function(x) if (is.null(x) || !nzchar(x)) NULL else x

# Minimal INI reader for ~/.databrickscfg: a list of sections, each a named list.
read_ini <- function(path) {
  sections <- list()
  current <- NULL
  for (line in readLines(path, warn = FALSE)) {
    line <- trimws(line)
    if (!nzchar(line) || startsWith(line, "#") || startsWith(line, ";")) next
    if (grepl("^\\[.*\\]$", line)) {
      current <- trimws(substr(line, 2L, nchar(line) - 1L))
      if (is.null(sections[[current]])) sections[[current]] <- list()
    } else if (!is.null(current) && grepl("=", line, fixed = TRUE)) {
      at <- regexpr("=", line, fixed = TRUE)
      key <- trimws(substr(line, 1L, at - 1L))
      sections[[current]][[key]] <- trimws(substr(line, at + 1L, nchar(line)))
    }
  }
  sections
}

`%||%` <- function(x, y) if (is.null(x)) y else x
