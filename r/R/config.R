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

env_flag <- function(name) {
  tolower(Sys.getenv(name, "false")) %in% c("true", "1", "yes")
}

env_number <- function(name, default) {
  value <- Sys.getenv(name, "")
  if (!nzchar(value)) return(default)
  number <- suppressWarnings(as.numeric(value))
  if (is.na(number) || number < 0) abort_invalid(sprintf("%s must be a non-negative number", name), name)
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
