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

# `databricks://<profile>` reads that profile (which must exist), plain `databricks` the
# DEFAULT one; each field comes from its DATABRICKS_* variable when set, else from the
# profile, as databricks-sdk reads them (family-rules.yaml, config.databricks).
databricks_settings <- function(uri) {
  profile <- sub("^databricks(:/*)?", "", uri)
  named <- nzchar(profile)
  if (!named) profile <- rules_databricks_default_profile
  cfg_path <- Sys.getenv(rules_databricks_config_file_env,
                         path.expand(rules_databricks_config_file_default))
  sections <- if (file.exists(cfg_path)) read_ini(cfg_path) else list()
  section <- sections[[profile]]
  if (named && is.null(section)) {
    abort_invalid(sprintf("no profile '%s' in %s", profile, cfg_path), "tracking_uri")
  }
  fields <- list()
  for (v in rules_databricks_variables) {
    value <- non_empty(Sys.getenv(v$env)) %||% non_empty(section[[v$profile_key]])
    if (!is.null(value)) fields[[v$field]] <- value
  }
  if (is.null(fields$tracking_uri)) {
    abort_invalid(paste0("no Databricks host: DATABRICKS_HOST is not set and ", cfg_path,
                         " has none for profile '", profile, "'"), "tracking_uri")
  }
  host <- fields$tracking_uri
  if (!grepl("^https?://", host)) host <- paste0("https://", host)
  list(
    host = host,
    token = fields$token,
    username = fields$username,
    password = fields$password,
    insecure = if (is.null(fields$insecure_tls)) FALSE else parse_flag(fields$insecure_tls, "DATABRICKS_INSECURE")
  )
}

`%||%` <- function(x, y) if (is.null(x)) y else x
