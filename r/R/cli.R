# The CRAN functions that drive Python's mlflow command line. mlflowrest needs no Python;
# these work when an `mlflow` executable is on the PATH and otherwise say so with a
# classed error (mlflowrest_cli_not_found).

mlflow_executable <- function() {
  path <- Sys.which(Sys.getenv("MLFLOW_BIN", "mlflow"))
  if (!nzchar(path)) {
    stop(mlflowrest_condition(paste(
      "no `mlflow` executable on the PATH (or in MLFLOW_BIN): mlflow_ui() and mlflow_server()",
      "start Python's MLflow server; install it with `pip install mlflow` or point",
      "MLFLOW_TRACKING_URI at a running server"), "mlflowrest_cli_not_found"))
  }
  unname(path)
}

#' Start an MLflow tracking server (needs Python's `mlflow`)
#'
#' Starts `mlflow server` in the background when an `mlflow` executable is available
#' (`MLFLOW_BIN` or the PATH); otherwise raises `mlflowrest_cli_not_found`.
#'
#' @param file_store Backend store URI or folder.
#' @param default_artifact_root Artifact root for new experiments.
#' @param host Address to listen on.
#' @param port Port.
#' @param workers Number of server workers.
#' @param static_prefix URL prefix.
#' @param serve_artifacts Proxy artifacts through the server.
#' @return A list with the server's `url` and process `pid` (class `mlflow_server`).
#' @examples
#' tryCatch(mlflow_server(port = 5123), mlflowrest_cli_not_found = function(e) {
#'   message("no mlflow executable here")
#' })
#' @export
mlflow_server <- function(file_store = "mlruns", default_artifact_root = NULL,
                          host = "127.0.0.1", port = 5000, workers = NULL,
                          static_prefix = NULL, serve_artifacts = TRUE) {
  exe <- mlflow_executable()
  args <- c("server", "--backend-store-uri", file_store, "--host", host, "--port", port,
            if (!is.null(default_artifact_root)) c("--default-artifact-root", default_artifact_root),
            if (!is.null(workers)) c("--workers", workers),
            if (!is.null(static_prefix)) c("--static-prefix", static_prefix),
            if (isTRUE(serve_artifacts)) "--serve-artifacts" else "--no-serve-artifacts")
  pid_file <- tempfile()
  system2("sh", c("-c", shQuote(sprintf("%s %s >/dev/null 2>&1 & echo $! > %s", shQuote(exe),
                                         paste(shQuote(args), collapse = " "), pid_file))))
  structure(list(url = sprintf("http://%s:%s", host, port), pid = as.integer(readLines(pid_file))),
            class = "mlflow_server")
}

#' Show where the MLflow UI is
#'
#' The UI is the tracking server's web page: for an `http(s)` tracking URI its address is
#' printed (and opened when interactive). With no server configured, one is started with
#' [mlflow_server()] when an `mlflow` executable is available, else
#' `mlflowrest_cli_not_found` is raised.
#'
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @param ... Passed to [mlflow_server()] when a server is started.
#' @return The UI's URL, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) mlflow_ui()
#' @export
mlflow_ui <- function(client = NULL, ...) {
  uri <- if (is.null(client)) mlflow_get_tracking_uri() else client$host
  url <- if (!is.null(uri) && grepl("^https?://", uri)) {
    uri
  } else if (!is.null(uri) && grepl("^databricks", uri)) {
    resolve_client(client)$host
  } else {
    mlflow_server(...)$url
  }
  message("MLflow UI: ", url)
  if (interactive()) utils::browseURL(url)
  invisible(url)
}

#' Install MLflow (not needed)
#'
#' mlflowrest talks to the tracking server over REST and needs no Python, so there is
#' nothing to install; the function only says so. Install Python's `mlflow` yourself
#' for [mlflow_server()] and [mlflow_ui()].
#'
#' @param ... Ignored (CRAN's arguments: `python_version` and the like).
#' @return `FALSE`, invisibly.
#' @examples
#' install_mlflow()
#' @export
install_mlflow <- function(...) {
  message("install_mlflow(): nothing to install. mlflowrest needs no Python: it talks to ",
          "the tracking server over REST. For a local server, `pip install mlflow` and ",
          "run `mlflow server`, or call mlflow_server().")
  invisible(FALSE)
}
