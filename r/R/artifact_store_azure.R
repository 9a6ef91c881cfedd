# wasbs://<container>@<account>.blob.core.windows.net/<path> (and abfss://, the same
# account's Blob API), with AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY.
# Shared Key and SAS are plain headers and query parameters: no Azure SDK is needed.

azure_api_version <- "2021-08-06"

parse_connection_string <- function(text) {
  fields <- list()
  for (part in strsplit(text, ";", fixed = TRUE)[[1]]) {
    at <- regexpr("=", part, fixed = TRUE)
    if (at > 0) fields[[trimws(substr(part, 1L, at - 1L))]] <- substr(part, at + 1L, nchar(part))
  }
  fields
}

azure_settings <- function(account, host_suffix) {
  conn <- non_empty(Sys.getenv("AZURE_STORAGE_CONNECTION_STRING"))
  if (!is.null(conn)) {
    fields <- parse_connection_string(conn)
    account <- fields$AccountName %||% account
    endpoint <- fields$BlobEndpoint %||% sprintf("%s://%s.blob.%s", fields$DefaultEndpointsProtocol %||% "https",
                                                 account, fields$EndpointSuffix %||% "core.windows.net")
    key <- fields$AccountKey
    sas <- fields$SharedAccessSignature
  } else {
    key <- non_empty(Sys.getenv("AZURE_STORAGE_ACCESS_KEY"))
    sas <- NULL
    endpoint <- sprintf("https://%s.blob.%s", account, host_suffix)
  }
  if (is.null(key) && is.null(sas)) {
    abort_invalid(paste("no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING",
                        "(AccountKey or SharedAccessSignature) or AZURE_STORAGE_ACCESS_KEY"),
                  "AZURE_STORAGE_CONNECTION_STRING")
  }
  list(account = account, endpoint = sub("/+$", "", endpoint), key = secret(key),
       sas = if (!is.null(sas)) secret(sub("^\\?", "", sas)))
}

# Shared Key: HMAC-SHA256 of the request's canonical form with the base64-decoded key.
azure_shared_key <- function(method, account, key, url_path, query, headers,
                             content_length = 0, content_type = "") {
  names(headers) <- tolower(names(headers))
  ms <- headers[startsWith(names(headers), "x-ms-")]
  ms <- ms[order(names(ms), method = "radix")]
  canonical_headers <- paste0(names(ms), ":", vapply(ms, trimws, character(1)), "\n", collapse = "")
  resource <- paste0("/", account, url_path)
  if (length(query)) {
    q <- query[order(tolower(names(query)), method = "radix")]
    values <- vapply(q, as.character, character(1))
    resource <- paste0(resource, paste0("\n", tolower(names(q)), ":", values, collapse = ""))
  }
  length_field <- if (content_length > 0) format(content_length, scientific = FALSE) else ""
  string_to_sign <- paste0(paste(c(method, "", "", length_field, "", content_type %||% "", "", "", "", "", "",
                                   headers[["range"]] %||% ""),
                                 collapse = "\n"), "\n", canonical_headers, resource)
  signature <- jsonlite::base64_enc(hmac_sha256(jsonlite::base64_dec(reveal(key)), string_to_sign))
  sprintf("SharedKey %s:%s", account, signature)
}

azure_store <- function(uri, client, settings = NULL) {
  parts <- regmatches(uri, regexec("^(wasbs?|abfss?)://([^@/]+)@([^./]+)\\.(blob|dfs)\\.([^/]+)/*(.*)$", uri))[[1]]
  if (length(parts) != 7L) {
    abort_invalid(sprintf("invalid Azure URI '%s': use wasbs://<container>@<account>.blob.core.windows.net/<path>",
                          uri), "uri")
  }
  container <- parts[3]
  prefix <- sub("/+$", "", parts[7])
  settings <- settings %||% azure_settings(parts[4], parts[6])
  origin <- sub("^(https?://[^/]+).*$", "\\1", settings$endpoint)
  base_path <- sub("^https?://[^/]+", "", settings$endpoint)
  http <- storage_client(client, origin)

  request <- function(method, blob = NULL, query = list(), headers = list(), body = NULL,
                      upload_file = NULL, download_to = NULL, raw_response = is.null(download_to)) {
    path <- paste0(base_path, "/", curl::curl_escape(container), if (!is.null(blob)) paste0("/", encode_path(blob)))
    headers[["x-ms-date"]] <- format(Sys.time(), "%a, %d %b %Y %H:%M:%S GMT", tz = "GMT")
    headers[["x-ms-version"]] <- azure_api_version
    query_text <- aws_query(query)
    if (!is.null(settings$sas)) {
      query_text <- paste(c(query_text[nzchar(query_text)], reveal(settings$sas)), collapse = "&")
    } else {
      length <- if (!is.null(body)) {
        nchar(body, type = "bytes")
      } else if (inherits(upload_file, "mlflowrest_file_range")) {
        upload_file$size
      } else if (!is.null(upload_file)) {
        file.size(upload_file)
      } else {
        0
      }
      type <- headers[["Content-Type"]] %||% if (!is.null(upload_file)) "application/octet-stream"
              else if (!is.null(body)) "application/json" else ""
      headers[["Authorization"]] <- azure_shared_key(method, settings$account, settings$key, path,
                                                     query, headers, length, type)
    }
    mlflow_request(http, method, path, query = query_text,
                   body = if (!is.null(body)) structure(body, class = "verbatim"),
                   upload_file = upload_file, download_to = download_to, headers = headers,
                   raw_response = raw_response)
  }
  blob_of <- function(rel) join_path(prefix, rel)

  list(
    uri = uri, scheme = "wasbs",
    upload = function(local, rel) {
      azure_put_blob(function(method, ...) request(method, blob_of(rel), ...), local, file.size(local))
    },
    download = function(rel, local) as_mlflow_not_found(request("GET", blob_of(rel), download_to = local)),
    list = function(rel) azure_list(request, join_path(prefix, rel))
  )
}

# One Put Blob up to 64 MiB (the Azure SDK's single-put default), else Put Block per range
# of the file (streamed) and one Put Block List; blocks left uncommitted expire by
# themselves, so a failure leaves no blob behind.
azure_put_blob <- function(request, local, size) {
  block_size <- max(env_bytes("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE"), ceiling(size / 50000))
  if (size <= 64 * 1024^2) {
    return(invisible(request("PUT", headers = list("x-ms-blob-type" = "BlockBlob"), upload_file = local)))
  }
  offsets <- seq(0, size - 1, by = block_size)
  ids <- vapply(seq_along(offsets), function(i) jsonlite::base64_enc(sprintf("block-%08d", i)), character(1))
  for (i in seq_along(offsets)) {
    request("PUT", query = list(comp = "block", blockid = ids[i]),
            upload_file = file_range(local, offsets[i], min(block_size, size - offsets[i])))
  }
  body <- paste0("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>",
                 paste0("<Latest>", ids, "</Latest>", collapse = ""), "</BlockList>")
  invisible(request("PUT", query = list(comp = "blocklist"), body = body,
                    headers = list("Content-Type" = "application/xml")))
}

# List Blobs with '/' as delimiter, every page.
azure_list <- function(request, dir) {
  prefix <- if (nzchar(dir)) paste0(dir, "/") else ""
  files <- dirs <- character()
  sizes <- numeric()
  marker <- NULL
  repeat {
    doc <- xml_document(request("GET", query = compact(list(
      restype = "container", comp = "list", prefix = prefix, delimiter = "/", marker = marker)))$text)
    files <- c(files, xml_values(doc, "//Blobs/Blob/Name"))
    sizes <- c(sizes, as.numeric(xml_values(doc, "//Blobs/Blob/Properties/Content-Length")))
    dirs <- c(dirs, xml_values(doc, "//Blobs/BlobPrefix/Name"))
    marker <- xml_values(doc, "//NextMarker")
    if (!length(marker) || !nzchar(marker)) break
  }
  names <- c(substring(files, nchar(prefix) + 1L), sub("/$", "", substring(dirs, nchar(prefix) + 1L)))
  keep <- nzchar(names)
  listing_frame(names, c(rep(FALSE, length(files)), rep(TRUE, length(dirs))),
                c(sizes, rep(NA, length(dirs))))[keep, , drop = FALSE]
}
