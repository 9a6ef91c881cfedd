# dbfs:/databricks/mlflow-tracking/<experiment>/<run>/artifacts (and .../logged_models/
# <model_id>/artifacts): Databricks hands out short-lived signed URLs through its artifact
# credential API (mlflow/protos/databricks_artifacts.proto); files then go straight between
# disk and cloud storage. Listing is the tracking API's own.

databricks_store <- function(uri, client) {
  parts <- regmatches(uri, regexec(
    "^dbfs:(//[^/]*)?/+databricks/mlflow-tracking/+([^/]+)/+(logged_models/+)?([^/]+)/+artifacts/*(.*)$",
    uri))[[1]]
  if (length(parts) != 6L) {
    abort_usage(sprintf(paste("artifact location '%s' is on DBFS outside dbfs:/databricks/mlflow-tracking/:",
                              "mlflowrest reaches only MLflow-managed locations there"), uri))
  }
  logged_model <- nzchar(parts[4])
  id <- parts[5]
  inside <- sub("/+$", "", parts[6])
  signed <- storage_client(client, "")
  # Every request of the credential API is relative to the run's (or model's) root.
  rel_path <- function(rel) join_path(inside, rel)

  credential <- function(kind, rel) {
    if (logged_model) {
      request <- if (kind == "write") api_databricks_artifacts_credentials_for_logged_model_upload
                 else api_databricks_artifacts_credentials_for_logged_model_download
      answer <- request(client, id, paths = list(rel_path(rel)))
      info <- answer$credentials[[1]]$credential_info
    } else {
      request <- if (kind == "write") api_databricks_artifacts_credentials_for_write
                 else api_databricks_artifacts_credentials_for_read
      answer <- request(client, run_id = id, path = list(rel_path(rel)))
      info <- answer$credential_infos[[1]]
    }
    if (is.null(info$signed_uri)) {
      abort_api_error(200L, NULL, "the credential service answered without a signed URL", "POST",
                      paste0("credentials-for-", kind), class = "mlflowrest_unexpected_response")
    }
    info
  }

  upload <- function(local, rel) {
    size <- file.size(local)
    threshold <- env_bytes("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE")
    info <- credential("write", rel)
    if (identical(info$type, "AWS_PRESIGNED_URL") && size >= threshold) {
      return(databricks_multipart_upload(client, signed, id, rel_path(rel), local, size))
    }
    signed_url_put(signed, info, local, size)
  }

  list(
    uri = uri, scheme = "dbfs",
    upload = upload,
    download = function(rel, local) {
      info <- credential("read", rel)
      as_mlflow_not_found(signed_url_request(signed, "GET", info, download_to = local))
    },
    list = function(rel) {
      dir <- rel_path(rel)
      files <- list()
      token <- NULL
      repeat {
        answer <- if (logged_model) {
          api_logged_models_list_artifacts(client, id, artifact_directory_path = dir, page_token = token)
        } else {
          api_artifacts_list(client, run_id = id, path = dir, page_token = token)
        }
        files <- c(files, answer$files %||% list())
        token <- answer$next_page_token
        if (is.null(token) || !nzchar(token) || !length(answer$files)) break
      }
      paths <- vapply(files, function(f) f$path, character(1))
      # A file's own path is listed as itself: that is "not a folder".
      keep <- paths != dir
      listing_frame(basename(paths), vapply(files, function(f) isTRUE(f$is_dir), logical(1)),
                    vapply(files, function(f) as.numeric(f$file_size %||% NA), numeric(1)))[keep, , drop = FALSE]
    }
  )
}

# A signed URL with the headers its credential says to send.
signed_url_request <- function(signed, method, info, ...) {
  headers <- list()
  for (h in info$headers %||% list()) headers[[h$name]] <- h$value
  url <- info$signed_uri
  path <- sub("\\?.*$", "", url)
  # The query holds the signature: it goes on the wire, never into an error message.
  query <- if (grepl("?", url, fixed = TRUE)) sub("^[^?]*\\?", "", url) else ""
  mlflow_request(signed, method, path, query = query, headers = headers, ...)
}

signed_url_put <- function(signed, info, local, size) {
  if (info$type %in% c("AZURE_SAS_URI", "AZURE_ADLS_GEN2_SAS_URI")) {
    # A SAS URL takes Azure's Put Blob, or blocks for a large file.
    base <- sub("\\?.*$", "", info$signed_uri)
    sas <- sub("^[^?]*\\??", "", info$signed_uri)
    request <- function(method, query = list(), headers = list(), ...) {
      sent <- info
      signed_query <- c(sas[nzchar(sas)], if (length(query)) aws_query(query))
      sent$signed_uri <- paste0(base, "?", paste(signed_query, collapse = "&"))
      sent$headers <- c(info$headers, lapply(names(headers), function(n) list(name = n, value = headers[[n]])))
      signed_url_request(signed, method, sent, raw_response = TRUE, ...)
    }
    return(azure_put_blob(request, local, size))
  }
  signed_url_request(signed, "PUT", info, upload_file = local, raw_response = TRUE)
}

# create-multipart-upload hands out one signed URL per part; an expired one is renewed
# with get-presigned-upload-part-url; complete-multipart-upload joins them, and any
# failure aborts through the abort URL the service gave.
databricks_multipart_upload <- function(client, signed, id, path, local, size) {
  part_size <- max(env_bytes("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE"), ceiling(size / 10000))
  offsets <- seq(0, size - 1, by = part_size)
  created <- api_databricks_artifacts_create_multipart_upload(client, run_id = id, path = path,
                                                              num_parts = length(offsets))
  completed <- FALSE
  on.exit(if (!completed && !is.null(created$abort_credential_info)) {
    try(signed_url_request(signed, "DELETE", created$abort_credential_info, raw_response = TRUE), silent = TRUE)
  })
  etags <- vector("list", length(offsets))
  for (i in seq_along(offsets)) {
    range <- file_range(local, offsets[i], min(part_size, size - offsets[i]))
    info <- created$upload_credential_infos[[i]]
    answer <- tryCatch(
      signed_url_request(signed, "PUT", info, upload_file = range, raw_response = TRUE),
      mlflowrest_permission_denied = function(e) {
        fresh <- api_databricks_artifacts_presigned_upload_part_url(
          client, run_id = id, path = path, upload_id = created$upload_id, part_number = i)
        signed_url_request(signed, "PUT", fresh$upload_credential_info, upload_file = range, raw_response = TRUE)
      })
    etags[[i]] <- list(part_number = i, etag = answer$headers[["etag"]])
  }
  api_databricks_artifacts_complete_multipart_upload(client, run_id = id, path = path,
                                                     upload_id = created$upload_id, part_etags = etags)
  completed <- TRUE
  invisible(path)
}
