# AWS Signature Version 4, written in R over digest's SHA-256 and HMAC so that the unit
# tests check it against AWS's published vectors. Uploads are signed as UNSIGNED-PAYLOAD:
# a file is never read whole to hash it.

sha256_hex <- function(x) digest::digest(x, algo = "sha256", serialize = FALSE)

hmac_sha256 <- function(key, text, raw = TRUE) digest::hmac(key, charToRaw(enc2utf8(text)), "sha256", raw = raw)

empty_payload_sha256 <- "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# RFC 3986 percent-encoding of everything but the unreserved characters; `/` kept in paths.
aws_encode <- function(x, keep_slash = FALSE) {
  encoded <- vapply(enc2utf8(as.character(x)), curl::curl_escape, character(1), USE.NAMES = FALSE)
  if (keep_slash) gsub("%2F", "/", encoded, fixed = TRUE) else encoded
}

# A named list of query parameters as AWS's canonical query string (also sent as the URL's
# query, so what is signed is what is sent). A NULL or "" value is written `name=`.
aws_query <- function(query) {
  if (!length(query)) return("")
  names <- aws_encode(names(query))
  values <- aws_encode(vapply(query, function(v) if (is.null(v)) "" else as.character(v), character(1)))
  order <- order(names, values, method = "radix")
  paste0(names[order], "=", values[order], collapse = "&")
}

#' Sign a request with AWS Signature Version 4
#'
#' @param method HTTP method.
#' @param host The Host header as sent (`host[:port]`).
#' @param path The canonical URI: the request path, already percent-encoded.
#' @param query Canonical query string, from [aws_query()].
#' @param headers Named list of headers to sign besides `host` and `x-amz-date`.
#' @param payload_hash Hex SHA-256 of the body, or `"UNSIGNED-PAYLOAD"`.
#' @param credentials `list(access_key_id, secret_access_key, session_token)`.
#' @return The headers to send (without Host, which curl writes), Authorization included.
#' @noRd
sigv4_headers <- function(method, host, path, query, headers = list(), payload_hash,
                          credentials, region, service, time = Sys.time()) {
  amz_date <- format(as.POSIXct(time), "%Y%m%dT%H%M%SZ", tz = "UTC")
  headers[["x-amz-date"]] <- amz_date
  if (!is.null(credentials$session_token)) headers[["x-amz-security-token"]] <- reveal(credentials$session_token)
  if (identical(service, "s3")) headers[["x-amz-content-sha256"]] <- payload_hash
  signed <- c(list(host = host), headers)
  names(signed) <- tolower(names(signed))
  signed <- signed[order(names(signed), method = "radix")]
  values <- vapply(signed, function(v) gsub("[[:space:]]+", " ", trimws(as.character(v))), character(1))
  signed_names <- paste(names(signed), collapse = ";")
  canonical_request <- paste(method, path, query,
                             paste0(names(signed), ":", values, "\n", collapse = ""),
                             signed_names, payload_hash, sep = "\n")
  day <- substr(amz_date, 1L, 8L)
  scope <- paste(day, region, service, "aws4_request", sep = "/")
  string_to_sign <- paste("AWS4-HMAC-SHA256", amz_date, scope, sha256_hex(canonical_request), sep = "\n")
  key <- charToRaw(paste0("AWS4", reveal(credentials$secret_access_key)))
  for (part in c(day, region, service, "aws4_request")) key <- hmac_sha256(key, part)
  signature <- hmac_sha256(key, string_to_sign, raw = FALSE)
  headers[["Authorization"]] <- sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                                        credentials$access_key_id, scope, signed_names, signature)
  headers
}
