# s3:// (AWS and S3-compatible stores such as MinIO or s3proxy), configured with MLflow's
# and AWS's variables. Requests are signed here (sigv4.R) and sent by the request helper;
# files above the multipart threshold go up in parts, each streamed from its file range.

s3_settings <- function() {
  profile <- Sys.getenv("AWS_PROFILE", "default")
  from_file <- function(var, default_path) {
    path <- Sys.getenv(var, path.expand(default_path))
    if (file.exists(path)) read_ini(path) else list()
  }
  credentials_file <- from_file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")[[profile]]
  config_file <- from_file("AWS_CONFIG_FILE", "~/.aws/config")
  config <- config_file[[if (profile == "default") "default" else paste("profile", profile)]]
  key_id <- non_empty(Sys.getenv("AWS_ACCESS_KEY_ID"))
  credentials <- if (!is.null(key_id)) {
    list(access_key_id = key_id,
         secret_access_key = secret(non_empty(Sys.getenv("AWS_SECRET_ACCESS_KEY"))),
         session_token = secret(non_empty(Sys.getenv("AWS_SESSION_TOKEN"))))
  } else if (!is.null(credentials_file$aws_access_key_id)) {
    list(access_key_id = credentials_file$aws_access_key_id,
         secret_access_key = secret(credentials_file$aws_secret_access_key),
         session_token = secret(credentials_file$aws_session_token))
  }
  if (is.null(credentials) || is.null(credentials$secret_access_key)) {
    abort_invalid(paste("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,",
                        sprintf("or AWS_PROFILE with a profile in ~/.aws/credentials (tried '%s')", profile)),
                  "AWS_ACCESS_KEY_ID")
  }
  list(
    credentials = credentials,
    region = non_empty(Sys.getenv("AWS_DEFAULT_REGION")) %||% non_empty(Sys.getenv("AWS_REGION")) %||%
      config$region %||% "us-east-1",
    endpoint = non_empty(Sys.getenv("MLFLOW_S3_ENDPOINT_URL")),
    insecure = env_flag("MLFLOW_S3_IGNORE_TLS"),
    extra_headers = s3_upload_extra_headers(Sys.getenv("MLFLOW_S3_UPLOAD_EXTRA_ARGS", "")),
    multipart_threshold = env_bytes("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE"),
    part_size = env_bytes("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE")
  )
}

# MLFLOW_S3_UPLOAD_EXTRA_ARGS holds boto3's ExtraArgs as JSON; these are the S3 headers
# they stand for.
s3_extra_arg_headers <- c(
  ServerSideEncryption = "x-amz-server-side-encryption",
  SSEKMSKeyId = "x-amz-server-side-encryption-aws-kms-key-id",
  ACL = "x-amz-acl", StorageClass = "x-amz-storage-class",
  ContentType = "Content-Type", CacheControl = "Cache-Control"
)

s3_upload_extra_headers <- function(text) {
  if (!nzchar(text)) return(list())
  args <- tryCatch(jsonlite::fromJSON(text, simplifyVector = FALSE), error = function(e) NULL)
  unknown <- setdiff(names(args), names(s3_extra_arg_headers))
  if (!is.list(args) || is.null(names(args)) || length(unknown)) {
    abort_invalid(sprintf("MLFLOW_S3_UPLOAD_EXTRA_ARGS must be a JSON object of %s%s",
                          paste(names(s3_extra_arg_headers), collapse = ", "),
                          if (length(unknown)) paste0("; unknown: ", paste(unknown, collapse = ", ")) else ""),
                  "MLFLOW_S3_UPLOAD_EXTRA_ARGS")
  }
  stats::setNames(lapply(args, as.character), s3_extra_arg_headers[names(args)])
}

s3_store <- function(uri, client, settings = s3_settings()) {
  parts <- regmatches(uri, regexec("^s3a?://([^/]+)/*(.*)$", uri))[[1]]
  bucket <- parts[2]
  prefix <- sub("/+$", "", parts[3])
  # A custom endpoint is addressed path-style (endpoint/bucket/key), AWS virtual-hosted.
  if (!is.null(settings$endpoint)) {
    base <- sub("/+$", "", settings$endpoint)
    bucket_path <- paste0("/", curl::curl_escape(bucket))
  } else {
    base <- sprintf("https://%s.s3.%s.amazonaws.com", bucket, settings$region)
    bucket_path <- ""
  }
  origin <- sub("^(https?://[^/]+).*$", "\\1", base)
  base_path <- sub("^https?://[^/]+", "", base)
  # The Host header as curl writes it: the port only when it is not the scheme's default.
  host <- sub(":(80|443)$", "", sub("^https?://", "", origin))
  http <- storage_client(client, origin, settings$insecure)

  request <- function(method, key, query = list(), headers = list(), body = NULL,
                      upload = NULL, download_to = NULL,
                      payload_hash = if (is.null(body)) empty_payload_sha256 else sha256_hex(body)) {
    path <- paste0(base_path, bucket_path, if (!is.null(key)) paste0("/", encode_path(key)))
    if (!nzchar(path)) path <- "/"
    canonical_query <- aws_query(query)
    signed <- sigv4_headers(method, host, path, canonical_query, headers, payload_hash,
                            settings$credentials, settings$region, "s3")
    mlflow_request(http, method, path, query = canonical_query,
                   body = if (!is.null(body)) structure(body, class = "verbatim"),
                   upload_file = upload, download_to = download_to, headers = signed,
                   raw_response = is.null(download_to))
  }
  key_of <- function(rel) join_path(prefix, rel)

  upload <- function(local, rel) {
    size <- file.size(local)
    if (size < settings$multipart_threshold) {
      return(invisible(request("PUT", key_of(rel), headers = settings$extra_headers,
                               upload = local, payload_hash = "UNSIGNED-PAYLOAD")))
    }
    s3_multipart_upload(request, key_of(rel), local, size, settings)
  }

  list(
    uri = uri, scheme = "s3",
    upload = upload,
    download = function(rel, local) as_mlflow_not_found(request("GET", key_of(rel), download_to = local)),
    list = function(rel) s3_list(request, join_path(prefix, rel))
  )
}

# CreateMultipartUpload, one UploadPart per range of the file, CompleteMultipartUpload; on
# any failure the upload is aborted, so no partial object is left behind.
s3_multipart_upload <- function(request, key, local, size, settings) {
  # S3 allows at most 10,000 parts.
  part_size <- max(settings$part_size, 5 * 1024^2, ceiling(size / 10000))
  created <- request("POST", key, query = list(uploads = ""), headers = settings$extra_headers, body = "")
  upload_id <- xml_text_of(created$text, "UploadId")
  completed <- FALSE
  on.exit(if (!completed) try(request("DELETE", key, query = list(uploadId = upload_id)), silent = TRUE))
  offsets <- seq(0, size - 1, by = part_size)
  etags <- character(length(offsets))
  for (i in seq_along(offsets)) {
    answer <- request("PUT", key, query = list(partNumber = i, uploadId = upload_id),
                      upload = file_range(local, offsets[i], min(part_size, size - offsets[i])),
                      payload_hash = "UNSIGNED-PAYLOAD")
    etags[i] <- answer$headers[["etag"]]
  }
  body <- paste0("<CompleteMultipartUpload>",
                 paste0("<Part><PartNumber>", seq_along(etags), "</PartNumber><ETag>",
                        xml_escape(etags), "</ETag></Part>", collapse = ""),
                 "</CompleteMultipartUpload>")
  request("POST", key, query = list(uploadId = upload_id), body = body,
          headers = list("Content-Type" = "application/xml"))
  completed <- TRUE
  invisible(key)
}

# ListObjectsV2 with '/' as delimiter, every page.
s3_list <- function(request, dir_key) {
  prefix <- if (nzchar(dir_key)) paste0(dir_key, "/") else ""
  files <- dirs <- character()
  sizes <- numeric()
  token <- NULL
  repeat {
    query <- compact(list(`list-type` = "2", prefix = prefix, delimiter = "/",
                          `continuation-token` = token))
    doc <- xml_document(request("GET", NULL, query = query)$text)
    files <- c(files, xml_values(doc, "//Contents/Key"))
    sizes <- c(sizes, as.numeric(xml_values(doc, "//Contents/Size")))
    dirs <- c(dirs, xml_values(doc, "//CommonPrefixes/Prefix"))
    token <- xml_values(doc, "//NextContinuationToken")
    if (!identical(xml_values(doc, "//IsTruncated"), "true") || !length(token)) break
  }
  names <- c(substring(files, nchar(prefix) + 1L), sub("/$", "", substring(dirs, nchar(prefix) + 1L)))
  keep <- nzchar(names)
  listing_frame(names, c(rep(FALSE, length(files)), rep(TRUE, length(dirs))),
                c(sizes, rep(NA, length(dirs))))[keep, , drop = FALSE]
}

# S3 and Azure answer XML in a default namespace; xpaths here name elements without it.
xml_document <- function(text) xml2::xml_ns_strip(xml2::read_xml(text))
xml_values <- function(doc, xpath) xml2::xml_text(xml2::xml_find_all(doc, xpath))
xml_text_of <- function(text, element) xml_values(xml_document(text), paste0("//", element))[1]
xml_escape <- function(x) {
  x <- gsub("&", "&amp;", x, fixed = TRUE)
  x <- gsub("<", "&lt;", x, fixed = TRUE)
  gsub(">", "&gt;", x, fixed = TRUE)
}
