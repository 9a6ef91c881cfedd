# The artifact functions users call. Where the files live (the server's proxied store, S3,
# Azure Blob, a shared path, Databricks) is the store's business (artifact_store*.R).

#' Log a file or a directory as run artifacts
#'
#' A file goes to `artifact_path/<file name>`; a directory's contents go under
#' `artifact_path`, recursively, keeping their folder tree. Files are streamed from disk.
#' Every name is checked before the first file is sent; when an upload fails, the error
#' names the file and the files already stored.
#'
#' @param path Local file or directory.
#' @param artifact_path Destination folder within the run's artifacts (the root when `NULL`).
#' @param run_id The run; the active run when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The artifact paths written, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   file <- tempfile(fileext = ".txt")
#'   writeLines("hello", file)
#'   with(mlflow_start_run(), mlflow_log_artifact(file, artifact_path = "notes"))
#' }
#' @export
mlflow_log_artifact <- function(path, artifact_path = NULL, run_id = NULL, client = NULL) {
  if (!file.exists(path)) abort_invalid(sprintf("no such file or directory: %s", path), "path")
  relative <- if (dir.exists(path)) {
    list.files(path, recursive = TRUE, all.files = TRUE, no.. = TRUE)
  } else {
    basename(path)
  }
  check_artifact_names(relative)
  locals <- if (dir.exists(path)) file.path(path, relative) else path
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  written <- vapply(relative, function(r) join_path(artifact_path, r), character(1),
                    USE.NAMES = FALSE)
  # Offline (or a run whose create never reached the server): a copy in the journal, for sync.
  if (!is.null(client$journal) && (isTRUE(client$offline) || is_local_id(run_id))) {
    journal_log_artifact(client$journal, path, artifact_path, run_id)
    return(invisible(written))
  }
  store <- run_artifact_store(run_id, client)
  upload_all(store, locals, written)
  invisible(written)
}

# Uploads in order; a failure re-raises the store's condition (same classes) with the
# file that failed and what is already stored in its message and fields.
upload_all <- function(store, locals, remote) {
  for (i in seq_along(locals)) {
    tryCatch(store$upload(locals[i], remote[i]), mlflowrest_error = function(e) {
      stored <- remote[seq_len(i - 1L)]
      e$message <- sprintf("uploading '%s' (file %d of %d) failed; %s: %s", remote[i], i,
                           length(remote),
                           if (length(stored)) sprintf("%d stored before it (%s)", length(stored),
                                                       paste(utils::head(stored, 5), collapse = ", "))
                           else "nothing stored",
                           conditionMessage(e))
      e$file <- remote[i]
      e$stored <- stored
      stop(e)
    })
  }
}

#' List a run's artifacts
#'
#' @param path Folder within the run's artifacts (the root when `NULL`).
#' @inheritParams mlflow_log_artifact
#' @return A data frame with columns `path` (relative to the run's artifact root),
#'   `is_dir` and `file_size`.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   file <- tempfile(fileext = ".txt")
#'   writeLines("hello", file)
#'   with(mlflow_start_run(), {
#'     mlflow_log_artifact(file)
#'     listing <- mlflow_list_artifacts()
#'   })
#'   listing
#' }
#' @export
mlflow_list_artifacts <- function(path = NULL, run_id = NULL, client = NULL) {
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  path <- sub("^/+", "", sub("/+$", "", path %||% ""))
  listing <- run_artifact_store(run_id, client)$list(path)
  listing$path <- vapply(listing$path, function(p) join_path(path, basename(p)), character(1),
                         USE.NAMES = FALSE)
  listing
}

#' Download artifacts
#'
#' Downloads a file, or a folder recursively, streaming each file to disk under a
#' temporary `.part` name that takes the real name only once the file is complete. A
#' file costs one request: the path is asked for directly, and only when the store
#' answers that it is not a file is it listed and downloaded as a folder.
#'
#' `path` is either a path within the run's artifacts, or a URI: `runs:/<run_id>/<path>`,
#' `models:/<name>/<version>`, `models:/<name>/<stage>`, `models:/<name>@<alias>`,
#' `models:/<model_id>` (an MLflow 3 logged model), or an artifact location
#' (`mlflow-artifacts:/`, `s3://`, `wasbs://`, `abfss://`, `dbfs:/`, `file:` or a path).
#'
#' @param path File or folder within the run's artifacts (`""` for everything), or a URI.
#' @param dst_path Local folder to download into; a new temporary folder when `NULL`.
#' @inheritParams mlflow_log_artifact
#' @return The local path of the downloaded file or folder.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   file <- tempfile(fileext = ".txt")
#'   writeLines("hello", file)
#'   with(mlflow_start_run(), {
#'     mlflow_log_artifact(file)
#'     local <- mlflow_download_artifacts(basename(file), dst_path = tempdir())
#'   })
#'   readLines(local)
#' }
#' @export
mlflow_download_artifacts <- function(path, run_id = NULL, client = NULL, dst_path = NULL) {
  client <- resolve_client(client)
  if (is.null(run_id) && is_artifact_uri(path)) {
    located <- resolve_artifact_uri(path, client)
    return(download_artifact_tree(located$store, located$path, dst_path))
  }
  run_id <- resolve_run_id(run_id)
  download_artifact_tree(run_artifact_store(run_id, client), path, dst_path)
}

# `path` in `store`: a file is one GET; a folder answers that GET with an error (MLflow 3's
# proxied store: 400 "refers to a directory"; S3: 404) and is then listed. A missing path
# lists empty, and the GET's own error is signalled.
download_artifact_tree <- function(store, path, dst_path = NULL) {
  path <- sub("^/+", "", sub("/+$", "", path %||% ""))
  if (is.null(dst_path)) dst_path <- tempfile("mlflow-artifacts-")
  dir.create(dst_path, recursive = TRUE, showWarnings = FALSE)
  if (!nzchar(path)) {
    # The root is always a folder.
    download_remote_dir(store, "", dst_path)
    return(normalizePath(dst_path))
  }
  local <- file.path(dst_path, basename(path))
  not_a_file <- tryCatch({
    store$download(path, local)
    NULL
  }, mlflowrest_api_error = function(e) e)
  if (is.null(not_a_file)) return(normalizePath(local))
  listing <- tryCatch(store$list(path), mlflowrest_api_error = function(e) NULL)
  if (is.null(listing) || nrow(listing) == 0L) stop(not_a_file)
  download_remote_dir(store, path, local, listing)
  normalizePath(local)
}

# A folder, recursively: each subfolder is listed directly (it is known to be a folder).
download_remote_dir <- function(store, remote_rel, local_dir, listing = store$list(remote_rel)) {
  dir.create(local_dir, recursive = TRUE, showWarnings = FALSE)
  for (i in seq_len(nrow(listing))) {
    name <- basename(listing$path[i])
    target <- file.path(local_dir, name)
    if (listing$is_dir[i]) {
      download_remote_dir(store, join_path(remote_rel, name), target)
    } else {
      store$download(join_path(remote_rel, name), target)
    }
  }
  invisible(local_dir)
}
