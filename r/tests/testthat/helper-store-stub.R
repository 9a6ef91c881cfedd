# A stub of the services behind the artifact stores, in one webfakes app on 127.0.0.1:
# the tracking API's lookups (runs, model versions, aliases, logged models), an S3-style
# object store under /s3/<bucket>/<key> (objects and listing: webfakes cannot parse the
# valueless `?uploads` of a multipart upload, which s3proxy tests cover), and the Databricks artifact
# credential API with signed URLs back into /signed/<path>. Objects live in app$locals$objects by path;
# /store-requests returns every request (method, path, query, the headers that matter).

store_stub_app <- function(run_roots = list(), versions = list(), logged_models = list(),
                           fail_key = NULL, credential_type = "AWS_PRESIGNED_URL") {
  app <- webfakes::new_app()
  app$locals$objects <- list()
  # The app runs in another process: what its handlers call must live in this closure.
  digest_raw <- digest_raw
  new_regexp <- new_regexp
  `%||%` <- function(x, y) if (is.null(x)) y else x
  app$locals$requests <- list()
  record <- function(req) {
    req$app$locals$requests <- c(req$app$locals$requests, list(list(
      method = toupper(req$method), path = req$path, query = req$query_string %||% "",
      authorization = req$get_header("Authorization") %||% "",
      required = req$get_header("x-required") %||% "",
      content_sha = req$get_header("x-amz-content-sha256") %||% "",
      blob_type = req$get_header("x-ms-blob-type") %||% "")))
  }
  json <- function(res, x, status = 200L) res$set_status(status)$send_json(x, auto_unbox = TRUE, null = "null")
  body_json <- function(req) jsonlite::fromJSON(rawToChar(req$.body), simplifyVector = FALSE)

  app$get("/api/2.0/mlflow/runs/get", function(req, res) {
    record(req)
    json(res, list(run = list(info = list(run_id = req$query$run_id, experiment_id = "1", status = "RUNNING",
                                          artifact_uri = run_roots[[req$query$run_id]]))))
  })
  app$get("/api/2.0/mlflow/model-versions/get", function(req, res) {
    record(req)
    json(res, list(model_version = versions[[paste0(req$query$name, "/", req$query$version)]]))
  })
  app$get("/api/2.0/mlflow/registered-models/alias", function(req, res) {
    record(req)
    json(res, list(model_version = versions[[paste0(req$query$name, "@", req$query$alias)]]))
  })
  app$post("/api/2.0/mlflow/registered-models/get-latest-versions", function(req, res) {
    record(req)
    body <- body_json(req)
    json(res, list(model_versions = list(versions[[paste0(body$name, "/", body$stages[[1]])]])))
  })
  app$get(new_regexp("^/api/2.0/mlflow/logged-models/(?<id>m-[0-9a-f]+)$"), function(req, res) {
    record(req)
    json(res, list(model = list(info = list(model_id = req$params$id,
                                            artifact_uri = logged_models[[req$params$id]]))))
  })

  # S3: objects, ListObjectsV2 (delimiter '/'), multipart uploads.
  app$put(new_regexp("^/s3/(?<key>.+)$"), function(req, res) {
    record(req)
    if (!is.null(fail_key) && grepl(fail_key, req$params$key)) {
      return(res$set_status(400L)$set_type("application/xml")$send(
        "<Error><Code>InvalidArgument</Code><Message>refused</Message></Error>"))
    }
    req$app$locals$objects[[req$params$key]] <- req$.body
    res$set_header("ETag", "\"whole\"")$send("")
  })
  app$delete(new_regexp("^/s3/(?<key>.+)$"), function(req, res) {
    record(req)
    res$set_status(204L)$send("")
  })
  app$get(new_regexp("^/s3/(?<bucket>[^/]+)/?$"), function(req, res) {
    record(req)
    prefix <- paste0(req$params$bucket, "/", req$query$prefix %||% "")
    keys <- names(req$app$locals$objects)
    keys <- keys[startsWith(keys, prefix)]
    rest <- substring(keys, nchar(prefix) + 1L)
    files <- keys[!grepl("/", rest, fixed = TRUE)]
    dirs <- unique(sub("/.*$", "/", rest[grepl("/", rest, fixed = TRUE)]))
    strip <- function(k) substring(k, nchar(req$params$bucket) + 2L)
    res$set_type("application/xml")$send(paste0(
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>false</IsTruncated>",
      paste0("<Contents><Key>", strip(files), "</Key><Size>",
             vapply(files, function(k) length(req$app$locals$objects[[k]]), numeric(1)),
             "</Size></Contents>", collapse = ""),
      paste0("<CommonPrefixes><Prefix>", req$query$prefix %||% "", dirs, "</Prefix></CommonPrefixes>", collapse = ""),
      "</ListBucketResult>"))
  })
  app$get(new_regexp("^/s3/(?<key>.+)$"), function(req, res) {
    record(req)
    obj <- req$app$locals$objects[[req$params$key]]
    if (is.null(obj)) {
      return(res$set_status(404L)$set_type("application/xml")$send(
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"))
    }
    res$set_type("application/octet-stream")$send(obj)
  })

  # Databricks: credentials are signed URLs into /signed/, which demand the x-required
  # header the credential names; "sig=expired" answers 403 as an expired URL does.
  signed <- function(req, id, path, kind = credential_type, sig = "s3cr3t-sig") {
    list(run_id = id, path = path, type = kind,
         signed_uri = sprintf("http://%s/signed/%s/%s?sig=%s", req$get_header("Host"), id, path, sig),
         headers = list(list(name = "x-required", value = "yes")))
  }
  for (kind in c("read", "write")) local({
    kind <- kind
    app$post(paste0("/api/2.0/mlflow/artifacts/credentials-for-", kind), function(req, res) {
      record(req)
      body <- body_json(req)
      json(res, list(credential_infos = lapply(body$path, function(p) signed(req, body$run_id, p))))
    })
  })
  credentials <- "^/api/2.0/mlflow/logged-models/(?<id>m-[0-9a-f]+)/artifacts/credentials-for-(?<kind>upload|download)$"
  app$post(new_regexp(credentials),
           function(req, res) {
    record(req)
    body <- body_json(req)
    json(res, list(credentials = lapply(body$paths, function(p) {
      list(model_id = req$params$id, credential_info = signed(req, req$params$id, p))
    })))
  })
  app$post("/api/2.0/mlflow/artifacts/create-multipart-upload", function(req, res) {
    record(req)
    body <- body_json(req)
    infos <- lapply(seq_len(body$num_parts), function(i) {
      signed(req, body$run_id, paste0(body$path, ".part", i), sig = if (i == 2) "expired" else "s3cr3t-sig")
    })
    json(res, list(upload_id = "db-up", upload_credential_infos = infos,
                   abort_credential_info = signed(req, body$run_id, paste0(body$path, ".abort"))))
  })
  app$get("/api/2.0/mlflow/artifacts/get-presigned-upload-part-url", function(req, res) {
    record(req)
    json(res, list(upload_credential_info = signed(req, req$query$run_id,
                                                   paste0(req$query$path, ".part", req$query$part_number))))
  })
  app$post("/api/2.0/mlflow/artifacts/complete-multipart-upload", function(req, res) {
    record(req)
    body <- body_json(req)
    parts <- lapply(body$part_etags, function(p) {
      req$app$locals$objects[[sprintf("signed/%s/%s.part%d", body$run_id, body$path, p$part_number)]]
    })
    req$app$locals$objects[[sprintf("signed/%s/%s", body$run_id, body$path)]] <- do.call(c, parts)
    json(res, structure(list(), names = character()))
  })
  app$get("/api/2.0/mlflow/artifacts/list", function(req, res) {
    record(req)
    prefix <- sprintf("signed/%s/", req$query$run_id)
    dir <- req$query$path %||% ""
    keys <- substring(names(req$app$locals$objects), nchar(prefix) + 1L)
    keys <- keys[startsWith(names(req$app$locals$objects), prefix)]
    below <- if (nzchar(dir)) substring(keys[startsWith(keys, paste0(dir, "/"))], nchar(dir) + 2L) else keys
    first <- unique(sub("/.*$", "", below))
    files <- lapply(first, function(name) {
      full <- if (nzchar(dir)) paste0(dir, "/", name) else name
      is_dir <- any(startsWith(below, paste0(name, "/")))
      list(path = full, is_dir = is_dir,
           file_size = if (!is_dir) length(req$app$locals$objects[[paste0(prefix, full)]]))
    })
    json(res, list(root_uri = "dbfs:/x", files = files))
  })
  app$put(new_regexp("^/signed/(?<path>.+)$"), function(req, res) {
    record(req)
    if (!identical(req$get_header("x-required"), "yes")) return(res$set_status(400L)$send("missing header"))
    if (identical(req$query$sig, "expired")) {
      return(res$set_status(403L)$set_type("application/xml")$send(
        "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"))
    }
    req$app$locals$objects[[paste0("signed/", req$params$path)]] <- req$.body
    res$set_header("ETag", sprintf("\"%s\"", digest_raw(req$.body)))$send("")
  })
  app$get(new_regexp("^/signed/(?<path>.+)$"), function(req, res) {
    record(req)
    obj <- req$app$locals$objects[[paste0("signed/", req$params$path)]]
    if (is.null(obj)) {
      return(res$set_status(404L)$set_type("application/xml")$send("<Error><Code>NoSuchKey</Code></Error>"))
    }
    res$set_type("application/octet-stream")$send(obj)
  })
  app$delete(new_regexp("^/signed/(?<path>.+)$"), function(req, res) {
    record(req)
    res$set_status(204L)$send("")
  })
  app$get("/store-requests", function(req, res) {
    res$send_json(list(requests = req$app$locals$requests), auto_unbox = TRUE)
  })
  app$get("/store-objects", function(req, res) {
    objects <- req$app$locals$objects
    res$send_json(lapply(objects, function(o) list(size = length(o), sum = digest_raw(o))), auto_unbox = TRUE)
  })
  app
}

store_stub <- function(..., .local_envir = parent.frame()) {
  webfakes::local_app_process(store_stub_app(...), .local_envir = .local_envir)
}

store_requests <- function(web) {
  jsonlite::fromJSON(rawToChar(curl::curl_fetch_memory(web$url("/store-requests"))$content),
                     simplifyDataFrame = TRUE)$requests
}

store_objects <- function(web) {
  jsonlite::fromJSON(rawToChar(curl::curl_fetch_memory(web$url("/store-objects"))$content),
                     simplifyVector = FALSE)
}

# S3 settings pointing at the stub's /s3 (a custom endpoint, so path-style).
local_s3_env <- function(web, ..., .local_envir = parent.frame()) {
  withr::local_envvar(c(
    MLFLOW_S3_ENDPOINT_URL = web$url("/s3"), AWS_ACCESS_KEY_ID = "AKIDTEST",
    AWS_SECRET_ACCESS_KEY = "test-secret-key", AWS_SESSION_TOKEN = NA, AWS_DEFAULT_REGION = "eu-west-1",
    AWS_PROFILE = NA, MLFLOW_S3_UPLOAD_EXTRA_ARGS = NA, ...), .local_envir = .local_envir)
}
