# Where to send requests and with which credentials, read the way the CRAN mlflow package
# and MLflow's Python client read them (docs/design.md, "Configuration").

.globals <- new.env(parent = emptyenv())

#' Set or get the tracking server URI
#'
#' `mlflow_set_tracking_uri()` points the fluent functions (those called with
#' `client = NULL`) at a server; it takes precedence over `MLFLOW_TRACKING_URI`.
#' Accepted forms: `http(s)://host[:port][/prefix]`, `databricks` and
#' `databricks://<profile>`.
#'
#' @param uri The tracking URI.
#' @return `mlflow_set_tracking_uri()` returns `uri` invisibly;
#'   `mlflow_get_tracking_uri()` returns the URI in effect, or `NULL` when none is set.
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
  if (nzchar(uri)) uri else NULL
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

# `databricks://<profile>` reads that profile; plain `databricks` reads DEFAULT when the
# config file has it, else DATABRICKS_HOST / DATABRICKS_TOKEN.
databricks_settings <- function(uri) {
  profile <- sub("^databricks(:/*)?", "", uri)
  cfg_path <- Sys.getenv("DATABRICKS_CONFIG_FILE", path.expand("~/.databrickscfg"))
  sections <- if (file.exists(cfg_path)) read_ini(cfg_path) else list()
  from_env <- list(
    host = non_empty(Sys.getenv("DATABRICKS_HOST")),
    token = non_empty(Sys.getenv("DATABRICKS_TOKEN")),
    username = non_empty(Sys.getenv("DATABRICKS_USERNAME")),
    password = non_empty(Sys.getenv("DATABRICKS_PASSWORD")),
    insecure = non_empty(Sys.getenv("DATABRICKS_INSECURE"))
  )
  if (nzchar(profile)) {
    settings <- sections[[profile]]
    if (is.null(settings)) {
      abort_invalid(sprintf("profile '%s' not found in %s", profile, cfg_path), "tracking_uri")
    }
  } else if (!is.null(sections[["DEFAULT"]]$host)) {
    settings <- sections[["DEFAULT"]]
  } else {
    settings <- from_env
  }
  if (is.null(non_empty(settings$host))) {
    abort_invalid(paste0(
      "no Databricks host: set DATABRICKS_HOST (and DATABRICKS_TOKEN) or add a profile to ",
      cfg_path
    ), "tracking_uri")
  }
  host <- settings$host
  if (!grepl("^https?://", host)) host <- paste0("https://", host)
  list(
    host = host,
    token = non_empty(settings$token),
    username = non_empty(settings$username),
    password = non_empty(settings$password),
    insecure = tolower(settings$insecure %||% "false") %in% c("true", "1", "yes")
  )
}

`%||%` <- function(x, y) if (is.null(x)) y else x
