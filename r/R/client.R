# The client: where requests go, how they authenticate, and the retry settings. Secrets
# live in a "mlflowrest_secret" environment so that print(), format(), str() and
# conditions never show them.

secret <- function(value) {
  if (is.null(value)) return(NULL)
  box <- new.env(parent = emptyenv())
  box$value <- value
  structure(box, class = "mlflowrest_secret")
}

reveal <- function(x) if (is.null(x)) NULL else get("value", envir = x)

#' @export
format.mlflowrest_secret <- function(x, ...) "<hidden>"

#' @export
print.mlflowrest_secret <- function(x, ...) {
  cat("<hidden>\n")
  invisible(x)
}

#' Create a client for an MLflow tracking server
#'
#' Reads, like the CRAN mlflow package, `MLFLOW_TRACKING_TOKEN` (bearer),
#' `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` (basic),
#' `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH` (CA bundle),
#' `MLFLOW_TRACKING_CLIENT_CERT_PATH`, and the retry settings
#' `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (7), `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` (0.5 s),
#' `MLFLOW_HTTP_REQUEST_BACKOFF_JITTER` (1 s) and `MLFLOW_HTTP_REQUEST_TIMEOUT` (120 s).
#' `databricks` URIs take host and token from `~/.databrickscfg`
#' (or `DATABRICKS_CONFIG_FILE`), else from `DATABRICKS_HOST` / `DATABRICKS_TOKEN`.
#' Printing a client never shows its token or password.
#'
#' @param tracking_uri The server's URI; defaults to [mlflow_get_tracking_uri()].
#' @return An object of class `mlflow_client`.
#' @examples
#' client <- mlflow_client("http://127.0.0.1:5000")
#' client  # the token or password, when set, prints as <hidden>
#' @export
mlflow_client <- function(tracking_uri = NULL) {
  uri <- tracking_uri %||% mlflow_get_tracking_uri()
  if (is.null(uri)) {
    abort_invalid("no tracking URI: set MLFLOW_TRACKING_URI or call mlflow_set_tracking_uri()", "tracking_uri")
  }
  # MLflow's variables first; a databricks URI fills what they leave unset (family-rules.yaml,
  # config.precedence).
  settings <- list(
    host = uri,
    token = non_empty(Sys.getenv("MLFLOW_TRACKING_TOKEN")),
    username = non_empty(Sys.getenv("MLFLOW_TRACKING_USERNAME")),
    password = non_empty(Sys.getenv("MLFLOW_TRACKING_PASSWORD")),
    insecure = if (nzchar(Sys.getenv(rules_config_variables$insecure_tls$env))) {
      env_flag(rules_config_variables$insecure_tls$env)
    }
  )
  offline <- !is.null(offline_dir(uri))
  if (offline) {
    settings$host <- uri
  } else if (grepl("^databricks", uri)) {
    found <- databricks_settings(uri)
    for (field in names(found)) if (field == "host" || is.null(settings[[field]])) settings[[field]] <- found[[field]]
  } else if (grepl("^https?://", uri)) {
    # Credentials written into the URI move to basic auth so the URI can be shown.
    userinfo <- regmatches(uri, regexec("^(https?://)([^/@]*)@(.*)$", uri))[[1]]
    if (length(userinfo) == 4L) {
      settings$host <- paste0(userinfo[2], userinfo[4])
      parts <- strsplit(userinfo[3], ":", fixed = TRUE)[[1]]
      settings$username <- utils::URLdecode(parts[1])
      if (length(parts) > 1L) {
        settings$password <- utils::URLdecode(paste(parts[-1], collapse = ":"))
      }
    }
  } else {
    abort_invalid(sprintf(
      paste("unsupported tracking URI '%s': mlflowrest talks to a server (http://, https://, databricks)",
            "or records offline (offline:DIR)"),
      uri
    ), "tracking_uri")
  }
  host <- sub("/+$", "", settings$host)
  structure(
    c(list(
      tracking_uri = if (grepl("^databricks", uri)) uri else settings$host,
      host = host,
      token = secret(settings$token),
      username = settings$username,
      password = secret(settings$password),
      insecure = isTRUE(settings$insecure),
      server_cert_path = non_empty(Sys.getenv("MLFLOW_TRACKING_SERVER_CERT_PATH")),
      client_cert_path = non_empty(Sys.getenv("MLFLOW_TRACKING_CLIENT_CERT_PATH")),
      max_retries = env_setting("max_retries"),
      backoff_factor = env_setting("backoff_factor"),
      backoff_jitter = env_setting("backoff_jitter"),
      timeout = env_setting("timeout"),
      batch_concurrency = env_setting("batch_concurrency"),
      flush_timeout = env_setting("flush_timeout"),
      overload_timeout = env_setting("overload_timeout"),
      # Lock files shared by the host's writers to this server; 0: none (host_slots.R).
      host_write_slots = as.integer(env_setting("host_write_slots")),
      # curl handles built from these settings, reused by mlflow_request().
      handles = new.env(parent = emptyenv()),
      # Each run's artifact root by run id: it never changes, so it is looked up once.
      artifact_roots = new.env(parent = emptyenv())
    ), journal_settings(uri, host)),  # journal_dir, _fsync, _fsync_interval, _on_unreachable; offline; journal
    class = "mlflow_client"
  )
}

#' @export
format.mlflow_client <- function(x, ...) {
  auth <- if (!is.null(x$token)) {
    "bearer token <hidden>"
  } else if (!is.null(x$username)) {
    sprintf("basic, user '%s', password <hidden>", x$username)
  } else {
    "none"
  }
  c(
    "<mlflow_client>",
    paste0("  tracking_uri: ", x$tracking_uri),
    paste0("  host:         ", x$host),
    paste0("  auth:         ", auth),
    paste0("  tls:          ", if (x$insecure) "certificate checks OFF" else "verified"),
    sprintf("  retries:      %s (backoff %s s, jitter %s s), timeout %s s",
            x$max_retries, x$backoff_factor, x$backoff_jitter, x$timeout),
    if (!is.null(x$journal_dir)) {
      sprintf("  journal:      %s (%s, fsync %s)", x$journal_dir,
              if (isTRUE(x$offline)) "offline" else x$journal_on_unreachable, x$journal_fsync)
    }
  )
}

#' @export
print.mlflow_client <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

# The fluent API builds its client per call: cheap, and it sees changes to the URI and to
# the environment variables at once.
resolve_client <- function(client) {
  if (is.null(client)) return(mlflow_client())
  if (!inherits(client, "mlflow_client")) abort_usage("`client` must come from mlflow_client()")
  client
}
