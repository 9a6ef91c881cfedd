# One artifact-repository layer: the scheme of a run's (or logged model's) artifact URI
# picks the store, and every artifact function works through the store's three verbs:
#   upload(local_file, rel)      write one file at `rel` below the store's root
#   download(rel, local_file)    stream one file to disk (`<local>.part`, renamed when whole)
#   list(rel)                    data.frame(path = names relative to `rel`, is_dir, file_size)
# Errors are the family's classed conditions; a path that is missing is
# mlflowrest_resource_does_not_exist in every store.

artifact_store_schemes <- c("mlflow-artifacts", "s3", "wasbs", "abfss", "file", "dbfs")

uri_scheme <- function(uri) {
  scheme <- regmatches(uri, regexec("^([A-Za-z][A-Za-z0-9+.-]+):", uri))[[1]]
  # One letter is a Windows drive ("C:/shared"), not a scheme.
  if (length(scheme) == 2L) tolower(scheme[2]) else ""
}

#' The store behind an artifact URI
#' @noRd
artifact_store <- function(uri, client) {
  scheme <- uri_scheme(uri)
  if (!nzchar(scheme)) return(local_store(uri))
  switch(scheme,
    "mlflow-artifacts" = proxied_store(uri, client),
    "s3" = , "s3a" = s3_store(uri, client),
    "wasbs" = , "wasb" = , "abfss" = azure_store(uri, client),
    "file" = local_store(uri),
    "dbfs" = databricks_store(uri, client),
    stop(mlflowrest_condition(
      sprintf("artifact location '%s' uses scheme '%s:', which mlflowrest cannot reach; supported: %s, and plain paths",
              uri, scheme, paste0(artifact_store_schemes, ":", collapse = ", ")),
      # The family's class for it (Python's and Java's InvalidParameterValueError, field
      # artifact_uri), with a narrower class first for callers that want just this case.
      c("mlflowrest_unsupported_scheme", "mlflowrest_invalid_parameter_value", "mlflowrest_api_error"),
      http_status = NULL, error_code = "INVALID_PARAMETER_VALUE", field = "artifact_uri",
      limit = paste0(artifact_store_schemes, ":", collapse = ", "),
      scheme = scheme, supported = artifact_store_schemes))
  )
}

# A storage service's 404 (S3's NoSuchKey, Azure's BlobNotFound) carries no MLflow
# error_code; it reads as the server's own RESOURCE_DOES_NOT_EXIST, whatever the store.
as_mlflow_not_found <- function(expr) {
  tryCatch(expr, mlflowrest_resource_does_not_exist = function(e) {
    e$error_code <- e$error_code %||% "RESOURCE_DOES_NOT_EXIST"
    stop(e)
  })
}

# A run's artifact_uri never changes, so its store is built once per client and run, not
# once per call: logging, listing and downloading on the same client then cost only their
# own requests.
run_artifact_store <- function(run_id, client) {
  cache <- client$artifact_roots
  if (!is.null(cache) && !is.null(cache[[run_id]])) return(cache[[run_id]])
  store <- artifact_store(mlflow_get_run(run_id, client = client)$artifact_uri, client)
  if (!is.null(cache)) assign(run_id, store, envir = cache)
  store
}

# The client for a storage service: the tracking client's retry and timeout settings,
# none of its credentials (a tracking token must never reach S3 or a signed URL).
storage_client <- function(client, host, insecure = FALSE) {
  structure(list(
    host = sub("/+$", "", host), token = NULL, username = NULL, password = NULL,
    insecure = isTRUE(insecure), server_cert_path = NULL, client_cert_path = NULL,
    max_retries = client$max_retries, backoff_factor = client$backoff_factor,
    backoff_jitter = client$backoff_jitter, timeout = client$timeout,
    overload_timeout = 0  # storage services answer no MLflow overload signature
  ), class = "mlflow_client")
}

# MLflow's multipart sizes (MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE, _CHUNK_SIZE), in bytes.
multipart_defaults <- c(MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE = 500 * 1024^2,
                        MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE = 10 * 1024^2)

env_bytes <- function(name) {
  value <- Sys.getenv(name, "")
  if (!nzchar(value)) return(multipart_defaults[[name]])
  number <- suppressWarnings(as.numeric(value))
  if (is.na(number) || number <= 0) {
    abort_invalid(sprintf("%s must be a positive number of bytes, got '%s'", name, value), name, "> 0")
  }
  number
}

join_path <- function(...) {
  parts <- unlist(list(...))
  parts <- parts[!is.na(parts) & nzchar(parts)]
  gsub("/+", "/", paste(parts, collapse = "/"))
}

# Each path segment percent-encoded, `/` kept.
encode_path <- function(path) {
  if (!nzchar(path)) return("")
  segments <- strsplit(path, "/", fixed = TRUE)[[1]]
  paste(vapply(segments, curl::curl_escape, character(1)), collapse = "/")
}

listing_frame <- function(path = character(), is_dir = logical(), file_size = numeric()) {
  data.frame(path = as.character(path), is_dir = as.logical(is_dir),
             file_size = as.numeric(file_size), stringsAsFactors = FALSE)
}

# Names every store accepts (the tracking server's own rule, validate_path_is_safe): UTF-8,
# no '#', no control characters, no backslash, no '..' segment. Checked for every file of a
# folder before the first byte is sent, so a bad name uploads nothing.
check_artifact_names <- function(relative) {
  bad_utf8 <- !validUTF8(relative)
  if (any(bad_utf8)) {
    abort_invalid(sprintf("cannot upload '%s': artifact paths are UTF-8 text and this name is not UTF-8",
                          iconv(relative[bad_utf8][1], "latin1", "UTF-8", sub = "?")), "path")
  }
  bad <- grepl("#|\\\\|[[:cntrl:]]", relative, perl = TRUE) |
    vapply(strsplit(relative, "/", fixed = TRUE), function(s) ".." %in% s, logical(1))
  if (any(bad)) {
    abort_invalid(sprintf(paste("cannot upload '%s': artifact paths may not contain '#', '\\',",
                                "control characters or '..' (nothing was uploaded)"),
                          relative[bad][1]), "path")
  }
  invisible(relative)
}
