# Artifacts through the server's proxied endpoints (--serve-artifacts, on by default):
# no Python CLI, bodies streamed between disk and socket by curl.

# The run's artifact root as a path under /api/2.0/mlflow-artifacts/artifacts/.
artifact_root <- function(artifact_uri) {
  if (!grepl("^mlflow-artifacts:", artifact_uri)) {
    abort_usage(sprintf(paste(
      "artifact location '%s' is not served by the tracking server:",
      "mlflowrest reaches artifacts only through the proxied mlflow-artifacts endpoints"),
      artifact_uri))
  }
  sub("/+$", "", sub("^mlflow-artifacts:(//[^/]*)?/*", "", artifact_uri))
}

# A run's artifact_uri never changes, so it is looked up once per client and run, not once
# per call: logging, listing and downloading on the same client then cost only their own
# requests.
run_artifact_root <- function(run_id, client) {
  cache <- client$artifact_roots
  if (!is.null(cache) && !is.null(cache[[run_id]])) return(cache[[run_id]])
  root <- artifact_root(mlflow_get_run(run_id, client = client)$artifact_uri)
  if (!is.null(cache)) assign(run_id, root, envir = cache)
  root
}

join_path <- function(...) {
  parts <- unlist(list(...))
  parts <- parts[!is.na(parts) & nzchar(parts)]
  gsub("/+", "/", paste(parts, collapse = "/"))
}

artifact_endpoint <- function(path) {
  segments <- strsplit(path, "/", fixed = TRUE)[[1]]
  paste0("/api/2.0/mlflow-artifacts/artifacts/",
         paste(vapply(segments, curl::curl_escape, character(1)), collapse = "/"))
}

upload_file <- function(client, local_file, remote_path) {
  mlflow_request(client, "PUT", artifact_endpoint(remote_path), upload_file = local_file)
}

list_remote <- function(client, remote_dir) {
  answer <- mlflow_request(client, "GET", "/api/2.0/mlflow-artifacts/artifacts",
                           query = list(path = remote_dir))
  files <- answer$files %||% list()
  data.frame(
    path = vapply(files, function(f) f$path, character(1)),
    is_dir = vapply(files, function(f) isTRUE(f$is_dir), logical(1)),
    file_size = vapply(files, function(f) as.numeric(f$file_size %||% NA), numeric(1)),
    stringsAsFactors = FALSE
  )
}

#' Log a file or a directory as run artifacts
#'
#' A file goes to `artifact_path/<file name>`; a directory's contents go under
#' `artifact_path`, recursively. Files are streamed from disk.
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
  relative <- if (dir.exists(path)) list.files(path, recursive = TRUE, all.files = TRUE, no.. = TRUE) else basename(path)
  # Artifact paths are UTF-8 text: refuse a file name that is not, before anything is sent.
  bad <- relative[!validUTF8(relative)]
  if (length(bad)) {
    abort_invalid(sprintf("cannot upload '%s': artifact paths are UTF-8 text and this name is not UTF-8",
                          iconv(bad[[1]], "latin1", "UTF-8", sub = "?")), "path")
  }
  locals <- if (dir.exists(path)) file.path(path, relative) else path
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  root <- run_artifact_root(run_id, client)
  written <- vapply(relative, function(r) join_path(artifact_path, r), character(1),
                    USE.NAMES = FALSE)
  for (i in seq_along(locals)) upload_file(client, locals[i], join_path(root, written[i]))
  invisible(written)
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
  root <- run_artifact_root(run_id, client)
  listing <- list_remote(client, join_path(root, path))
  listing$path <- vapply(listing$path, function(p) join_path(path, p), character(1), USE.NAMES = FALSE)
  listing
}

#' Download run artifacts
#'
#' Downloads a file, or a folder recursively, streaming each file to disk under a
#' temporary `.part` name that takes the real name only once the file is complete. A
#' file costs one request: the path is asked for directly, and only when the server
#' answers that it is not a file is it listed and downloaded as a folder.
#'
#' @param path File or folder within the run's artifacts (`""` for everything).
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
  run_id <- resolve_run_id(run_id)
  download_artifact_tree(client, run_artifact_root(run_id, client), path, dst_path)
}

# `path` under `root`: a file is one GET; a folder answers that GET with an error (MLflow
# 3: 400 "refers to a directory, not a file") and is then listed. A missing path lists
# empty, and the GET's own error (404 RESOURCE_DOES_NOT_EXIST) is signalled.
download_artifact_tree <- function(client, root, path, dst_path = NULL) {
  path <- sub("^/+", "", sub("/+$", "", path %||% ""))
  if (is.null(dst_path)) {
    dst_path <- tempfile("mlflow-artifacts-")
  }
  dir.create(dst_path, recursive = TRUE, showWarnings = FALSE)
  if (!nzchar(path)) {
    # The run's root is always a folder.
    download_remote_dir(client, root, "", dst_path)
    return(normalizePath(dst_path))
  }
  local <- file.path(dst_path, basename(path))
  not_a_file <- tryCatch({
    download_remote_file(client, root, path, local)
    NULL
  }, mlflowrest_api_error = function(e) e)
  if (is.null(not_a_file)) return(normalizePath(local))
  listing <- tryCatch(list_remote(client, join_path(root, path)),
                      mlflowrest_api_error = function(e) NULL)
  if (is.null(listing) || nrow(listing) == 0L) stop(not_a_file)
  download_remote_dir(client, root, path, local, listing)
  normalizePath(local)
}

# A folder, recursively: each subfolder is listed directly (it is known to be a folder).
download_remote_dir <- function(client, root, remote_rel, local_dir,
                                listing = list_remote(client, join_path(root, remote_rel))) {
  dir.create(local_dir, recursive = TRUE, showWarnings = FALSE)
  for (i in seq_len(nrow(listing))) {
    name <- basename(listing$path[i])
    target <- file.path(local_dir, name)
    if (listing$is_dir[i]) {
      download_remote_dir(client, root, join_path(remote_rel, name), target)
    } else {
      download_remote_file(client, root, join_path(remote_rel, name), target)
    }
  }
  invisible(local_dir)
}

# One GET streamed to disk (mlflow_request writes `<target>.part`, renamed on success).
download_remote_file <- function(client, root, remote_rel, target) {
  mlflow_request(client, "GET", artifact_endpoint(join_path(root, remote_rel)),
                 download_to = target)
}
