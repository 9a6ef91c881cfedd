# The one request helper: every call to the server goes through mlflow_request(). It owns
# the base URL, authentication, TLS settings, timeouts, JSON in and out, the retry policy
# of docs/design.md and the mapping of failures onto the mlflowrest_* conditions.

# Read once: packageVersion() parses DESCRIPTION, a tenth of a millisecond per request.
user_agent <- function() {
  .globals$user_agent %||%
    (.globals$user_agent <- paste0("mlflowrest-r/", utils::packageVersion("mlflowrest")))
}

json_body <- function(body) {
  # "json" is JSON text already encoded; "verbatim" is any other text body (S3's and Azure's XML).
  if (inherits(body, c("json", "verbatim"))) return(enc2utf8(unclass(body)))
  # json_verbatim: an int64 digit string (validate.R) goes out as the exact JSON number.
  as.character(jsonlite::toJSON(body, auto_unbox = TRUE, null = "null", na = "null",
                                digits = NA, json_verbatim = TRUE))
}

query_string <- function(query) {
  if (is.null(query)) return("")
  # An already-encoded query (a signed URL's) is kept byte for byte.
  if (is.character(query) && is.null(names(query))) return(if (nzchar(query)) paste0("?", query) else "")
  query <- compact(query)
  if (length(query) == 0L) return("")
  pairs <- unlist(Map(function(name, values) {
    values <- if (is.logical(values)) {
      tolower(as.character(values))
    } else if (is.numeric(values)) {
      format(values, scientific = FALSE, trim = TRUE)
    } else {
      as.character(values)
    }
    paste0(curl::curl_escape(name), "=", curl::curl_escape(values))
  }, names(query), query), use.names = FALSE)
  paste0("?", paste(pairs, collapse = "&"))
}

compact <- function(x) x[!vapply(x, is.null, logical(1))]

# Each request gets a fresh connection, closed when it is done: the multi-worker MLflow
# server answers kept-alive requests ~40 ms late (Nagle on its side, delayed ACK on ours)
# and libcurl cannot set TCP_QUICKACK.
new_request_handle <- function(client, method, body_text = NULL, upload_reader = NULL,
                               upload_size = NULL, headers = NULL) {
  content_type <- if (!is.null(upload_reader)) "application/octet-stream"
                  else if (!is.null(body_text)) "application/json"
  handle <- base_handle(client, method, content_type, headers)
  if (!is.null(body_text)) curl::handle_setopt(handle, postfields = body_text)
  if (!is.null(upload_reader)) {
    # The file is read in curl's chunks as the request goes out, never whole.
    curl::handle_setopt(handle, upload = TRUE, infilesize_large = upload_size,
                        readfunction = upload_reader)
  }
  handle
}

# The bytes `offset` to `offset + size` of a file as a request body (an S3 multipart part,
# an Azure block); a plain path means the whole file.
file_range <- function(path, offset = 0, size = file.size(path) - offset) {
  structure(list(path = path, offset = offset, size = size), class = "mlflowrest_file_range")
}

# A handle with everything but the body: method, timeouts, TLS, auth and headers.
base_handle <- function(client, method, content_type = NULL, extra_headers = NULL) {
  headers <- c(
    "User-Agent" = user_agent(),
    "Accept" = "application/json",
    # Uploads start at once instead of waiting a second for "100 Continue".
    "Expect" = ""
  )
  if (!is.null(content_type)) headers[["Content-Type"]] <- content_type
  # Basic wins when both are set, as in MLflow's rest_utils (family-rules.yaml, decisions).
  basic <- !is.null(client$username) && !is.null(client$password)
  if (!is.null(client$token) && !basic) headers[["Authorization"]] <- paste("Bearer", reveal(client$token))
  # curl keeps one header list per handle: extra headers join it (and may replace
  # Content-Type) rather than being set apart.
  for (name in names(extra_headers)) headers[[name]] <- extra_headers[[name]]
  options <- list(
    customrequest = method,
    connecttimeout = client$timeout,
    # A stall of `timeout` seconds aborts; a long transfer that keeps moving does not.
    low_speed_limit = 1L, low_speed_time = max(1L, as.integer(client$timeout)),
    followlocation = FALSE, noprogress = TRUE, forbid_reuse = TRUE
  )
  if (basic) {
    options <- c(options, list(httpauth = 1L, username = client$username,
                               password = reveal(client$password)))
  }
  if (isTRUE(client$insecure)) {
    options <- c(options, list(ssl_verifypeer = 0L, ssl_verifyhost = 0L))
  } else if (!is.null(client$server_cert_path)) {
    options$cainfo <- client$server_cert_path
  }
  if (!is.null(client$client_cert_path)) options$sslcert <- client$client_cert_path
  # One handle_setopt() call: each costs ~80 us of option-name lookups in curl.
  handle <- curl::new_handle(.list = options)
  curl::handle_setheaders(handle, .list = as.list(headers))
  handle
}

# JSON requests reuse one handle per client and method (still one connection per request,
# forbid_reuse): building a handle costs more than the rest of the client side together.
cached_handle <- function(client, method, body_text) {
  cache <- client$handles
  if (is.null(cache)) return(new_request_handle(client, method, body_text))
  key <- if (is.null(body_text)) method else paste0(method, "+json")
  handle <- cache[[key]]
  if (is.null(handle)) {
    handle <- base_handle(client, method, if (!is.null(body_text)) "application/json")
    assign(key, handle, envir = cache)
  }
  # The cookies curl kept from the last answer are dropped: each request stands alone, as
  # with a fresh handle.
  if (is.null(body_text)) {
    curl::handle_setopt(handle, cookielist = "ALL")
  } else {
    curl::handle_setopt(handle, postfields = body_text, cookielist = "ALL")
  }
  handle
}

# One attempt. Returns list(status, headers, text) or a transport failure
# list(transport = message, timeout = TRUE/FALSE). `headers` are the raw response headers,
# parsed only when a retry needs Retry-After.
perform_once <- function(client, method, url, body_text, upload_file, download_to,
                         headers = NULL) {
  if (is.null(upload_file) && is.null(download_to) && is.null(headers)) {
    return(tryCatch({
      res <- curl::curl_fetch_memory(url, handle = cached_handle(client, method, body_text))
      list(status = res$status_code, headers = res$headers, text = response_text(res$content))
    }, error = transport_failure))
  }
  upload_reader <- upload_size <- NULL
  if (!is.null(upload_file)) {
    range <- if (inherits(upload_file, "mlflowrest_file_range")) upload_file else file_range(upload_file)
    # Opened per attempt, so a retry sends the range from its start.
    upload_con <- file(range$path, open = "rb")
    on.exit(close(upload_con), add = TRUE)
    if (range$offset > 0) seek(upload_con, range$offset)
    upload_size <- range$size
    left <- range$size
    upload_reader <- function(n) {
      if (left <= 0) return(raw())
      bytes <- readBin(upload_con, raw(), min(n, left))
      left <<- left - length(bytes)
      bytes
    }
  }
  handle <- new_request_handle(client, method, body_text, upload_reader, upload_size, headers)
  partial <- NULL
  if (!is.null(download_to)) {
    # The body goes to `<name>.part`, which takes the real name only when complete: an
    # error answer, a broken transfer or an interrupt never leaves a file under that name.
    partial <- paste0(download_to, ".part")
    on.exit(if (file.exists(partial)) unlink(partial), add = TRUE)
  }
  outcome <- tryCatch({
    if (is.null(download_to)) {
      res <- curl::curl_fetch_memory(url, handle = handle)
      text <- response_text(res$content)
    } else {
      res <- curl::curl_fetch_disk(url, partial, handle = handle)
      text <- NULL
      if (res$status_code >= 300L) {
        # An error answer is a short JSON or text body; read at most its first 64 KB.
        text <- response_text(readBin(partial, raw(), 65536L))
        unlink(partial)
      }
    }
    list(status = res$status_code, headers = res$headers, text = text)
  }, error = function(e) {
    if (!is.null(partial)) unlink(partial)
    transport_failure(e)
  })
  if (!is.null(download_to) && is.null(outcome$transport) && outcome$status < 300L &&
      !file.rename(partial, download_to)) {
    abort_usage(sprintf("cannot move the downloaded %s to %s", partial, download_to))
  }
  outcome
}

# A response body as UTF-8 text (NUL bytes dropped: rawToChar() refuses them).
response_text <- function(content) {
  text <- rawToChar(if (any(content == as.raw(0L))) content[content != as.raw(0L)] else content)
  Encoding(text) <- "UTF-8"
  text
}

is_timeout <- function(message) grepl("timeout|timed out|too slow", message, ignore.case = TRUE)

transport_failure <- function(e) {
  message <- conditionMessage(e)
  list(transport = message, timeout = is_timeout(message))
}

retry_after_header <- function(headers) {
  if (is.null(headers)) return(NULL)
  tryCatch(curl::parse_headers_list(headers)[["retry-after"]], error = function(e) NULL)
}

# Seconds to wait before retry number `attempt` (0-based), per docs/design.md.
retry_wait <- function(attempt, retry_after, factor, jitter) {
  if (!is.null(retry_after)) {
    seconds <- suppressWarnings(as.numeric(retry_after))
    if (is.na(seconds)) {
      when <- suppressWarnings(curl::parse_date(retry_after))
      seconds <- if (is.na(when)) NA else as.numeric(difftime(when, Sys.time(), units = "secs"))
    }
    if (!is.na(seconds)) return(min(max(seconds, 0), rules_max_retry_after_seconds))
  }
  min(factor * 2^attempt, rules_max_backoff_seconds) + if (jitter > 0) runif_keeping_seed(jitter) else 0
}

# Jitter and request ids must not move the user's random stream: set.seed() before
# training a model has to give the same model whether or not runs are logged.
with_own_rng <- function(expr) {
  had_seed <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  if (had_seed) saved <- get(".Random.seed", envir = globalenv(), inherits = FALSE)
  on.exit(if (had_seed) {
    assign(".Random.seed", saved, envir = globalenv())
  } else if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
    rm(".Random.seed", envir = globalenv())
  })
  if (!is.null(.globals$rng_state)) assign(".Random.seed", .globals$rng_state, envir = globalenv())
  else set.seed(as.integer((Sys.getpid() + floor(as.numeric(Sys.time()) * 1000)) %%
                             .Machine$integer.max))
  result <- expr
  .globals$rng_state <- get(".Random.seed", envir = globalenv(), inherits = FALSE)
  result
}

runif_keeping_seed <- function(max) with_own_rng(stats::runif(1L, 0, max))

random_hex <- function(bytes = 16L) {
  with_own_rng(paste(sprintf("%02x", sample.int(256L, bytes, replace = TRUE) - 1L),
                     collapse = ""))
}

error_details <- function(text, status) {
  parsed <- tryCatch(jsonlite::fromJSON(text, simplifyVector = FALSE), error = function(e) NULL)
  if (is.list(parsed) && !is.null(parsed$error_code)) {
    return(list(error_code = parsed$error_code, message = parsed$message %||% ""))
  }
  # HTML or text (basic-auth's 401, the Host guard's 403, a proxy's 502): keep the first
  # 200 characters of readable text.
  plain <- gsub("<[^>]*>", " ", text %||% "")
  plain <- trimws(gsub("[[:space:]]+", " ", plain))
  if (!nzchar(plain)) plain <- paste("HTTP", status)
  list(error_code = NULL, message = substr(plain, 1L, rules_message_text_limit))
}

# A retried status, or an overload answer whatever its status (family-rules.yaml, retry).
is_retried_answer <- function(status, details) {
  status %in% rules_retry_statuses || is_overload_answer(status, details)
}

# The server refused for load, not for the request (family-rules.yaml, retry.overload).
is_overload_answer <- function(status, details) !is.null(overload_signature(status, details))

# The overload signature an answer matches (family-rules.yaml, retry.overload), or NULL.
overload_signature <- function(status, details) {
  for (o in rules_overload) {
    if ((is.null(o$status) || identical(as.integer(o$status), as.integer(status))) &&
        (is.null(o$error_code) || identical(o$error_code, details$error_code)) &&
        (is.null(o$contains) || grepl(o$contains, details$message %||% "", fixed = TRUE))) {
      return(o)
    }
  }
  NULL
}

# What the family rules say about the operation behind a method and path: its retry safety
# and the spec's body defaults. Looked up once per POST path (only POSTs have either), so the
# per-call cost stays a hash lookup.
route_rules <- function(method, path) {
  if (method != "POST") return(list(safety = "safe", defaults = NULL))
  cache <- .globals$route_rules %||% (.globals$route_rules <- new.env(parent = emptyenv()))
  found <- cache[[path]]
  if (!is.null(found)) return(found)
  found <- list(safety = "safe", defaults = NULL)
  for (r in rules_route_safety) {
    if (identical(r$method, method) && grepl(r$pattern, path)) found$safety <- r$safety
  }
  for (r in rules_request_defaults) {
    if (identical(r$method, method) && grepl(r$pattern, path)) found$defaults <- r$defaults
  }
  assign(path, found, envir = cache)
  found
}

# safe, recover-by-request-id or never, for the operation behind a method and path.
route_safety <- function(method, path) route_rules(method, path)$safety

# The spec's body defaults (e.g. searchExperiments max_results) where the caller gave none.
with_request_defaults <- function(method, path, body) {
  defaults <- route_rules(method, path)$defaults
  if (!is.list(body) || is.null(defaults)) return(body)
  for (field in names(defaults)) if (is.null(body[[field]])) body[[field]] <- defaults[[field]]
  body
}

# A refused connection never reached the server: resending cannot duplicate anything.
never_sent <- function(message) grepl("Couldn't connect|Connection refused|resolve host", message, ignore.case = TRUE)

# Whether an attempt's outcome is worth another try, and whether it may have reached the server
# (then only what is safe to resend is). An overload answer also shrinks the session's write
# window (congestion.R).
attempt_verdict <- function(client, outcome) {
  if (!is.null(outcome$transport)) return(list(retry = TRUE, ambiguous = !never_sent(outcome$transport)))
  if (outcome$status < rules_error_from_status) return(list(retry = FALSE, ambiguous = FALSE))
  details <- error_details(outcome$text, outcome$status)
  retry <- is_retried_answer(outcome$status, details)
  signature <- overload_signature(outcome$status, details)
  if (!is.null(signature)) window_overloaded(write_window(client))
  # busy: the server itself says so, and the call may outlast max_retries (out_of_retries()).
  list(retry = retry, ambiguous = retry && !outcome$status %in% rules_unambiguous_statuses,
       busy = isTRUE(signature$outlasts_max_retries))
}

# Retries are spent; an overload answer is retried on until overload_timeout has passed since
# the call's first try (family-rules.yaml, retry.overload), unless retries are off (0: a probe,
# or the user's choice). spent: seconds since the first try.
out_of_retries <- function(client, attempt, busy, spent) {
  busy <- isTRUE(busy) && client$max_retries > 0 && spent < client$overload_timeout
  attempt >= client$max_retries && !busy
}

#' The request helper
#'
#' @param client An `mlflow_client`.
#' @param method HTTP method.
#' @param path Absolute path, e.g. `rules_operations$getRun$path`.
#' @param query Named list sent as the query string (vectors repeat the key).
#' @param body A list (sent as JSON) or a `json` string.
#' @param upload_file A file streamed as the request body (artifact upload).
#' @param download_to A file the response body is streamed to (artifact download).
#' @param before_retry Called before each retry; a non-NULL result ends the call with
#'   that result (creates use it to find what a lost first try made).
#' @param headers Extra request headers (a storage service's signature, a signed URL's
#'   required headers).
#' @param raw_response `TRUE` returns `list(status, headers, text)` of a success instead of
#'   parsed JSON (S3 and Azure answer XML, an S3 part's ETag is a header).
#' @return The parsed JSON answer (a list), or `download_to`.
#' @noRd
mlflow_request <- function(client, method, path, query = NULL, body = NULL,
                           upload_file = NULL, download_to = NULL, before_retry = NULL,
                           headers = NULL, raw_response = FALSE) {
  url <- paste0(client$host, path, query_string(query))
  body <- with_request_defaults(method, path, body)
  body_text <- if (is.null(body)) NULL else json_body(body)
  safety <- route_safety(method, path)
  attempt <- 0L
  ambiguous <- FALSE  # an earlier try may have reached the server
  started <- Sys.time()
  waited <- 0
  repeat {
    if (ambiguous && !is.null(before_retry)) {
      found <- tryCatch(before_retry(), mlflowrest_transport_error = function(e) e)
      # The server went away mid-create: the error is the create's, not the lookup's.
      if (inherits(found, "mlflowrest_transport_error")) {
        abort_transport_error(outcome$transport %||% found$message, method, path,
                              isTRUE(outcome$timeout), attempt)
      }
      if (!is.null(found)) return(found)
    }
    outcome <- perform_once(client, method, url, body_text, upload_file, download_to, headers)
    verdict <- attempt_verdict(client, outcome)
    retryable <- verdict$retry
    ambiguous <- ambiguous || verdict$ambiguous
    # After an ambiguous failure only a safe operation is resent, or a create that can look up
    # what its first try made (family-rules.yaml, retry.operations).
    resendable <- !ambiguous || safety == "safe" ||
      (safety == "recover-by-request-id" && !is.null(before_retry))
    spent <- max(as.numeric(difftime(Sys.time(), started, units = "secs")), waited)
    if (!retryable || !resendable || out_of_retries(client, attempt, verdict$busy, spent)) break
    wait <- retry_wait(attempt, retry_after_header(outcome$headers), client$backoff_factor, client$backoff_jitter)
    Sys.sleep(wait)
    waited <- waited + wait
    attempt <- attempt + 1L
  }
  attempts <- attempt + 1L
  if (!is.null(outcome$transport)) {
    abort_transport_error(outcome$transport, method, path, outcome$timeout, attempts)
  }
  if (outcome$status >= rules_error_from_status) {
    details <- error_details(outcome$text, outcome$status)
    if (outcome$status < 400L) {
      location <- tryCatch(curl::parse_headers_list(outcome$headers)[["location"]], error = function(e) NULL)
      if (!is.null(location)) {
        details$message <- sprintf("redirected to %s (not followed): %s", sub("\\?.*$", "", location),
                                   details$message)
      }
    }
    abort_api_error(outcome$status, details$error_code, details$message, method, path, attempts)
  }
  if (!is.null(download_to)) return(invisible(download_to))
  if (raw_response) {
    return(list(status = outcome$status, headers = curl::parse_headers_list(outcome$headers),
                text = outcome$text))
  }
  parse_success(outcome, method, path)
}

parse_success <- function(outcome, method, path) {
  # The answer to every log call: skip the parser.
  if (identical(outcome$text, "{}")) return(structure(list(), names = character()))
  if (!nzchar(trimws(outcome$text))) return(list())
  parsed <- tryCatch(jsonlite::fromJSON(outcome$text, simplifyVector = FALSE),
                     error = function(e) NULL)
  if (!is.list(parsed)) {
    abort_api_error(outcome$status, NULL,
                    paste("expected JSON, got:", error_details(outcome$text, outcome$status)$message),
                    method, path, class = "mlflowrest_unexpected_response")
  }
  parsed
}
