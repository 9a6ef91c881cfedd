# The on-disk journal of docs/journal.md: one append-only JSON-lines file per process and
# directory. This file writes and reads records; journal_mode.R decides what is recorded and
# sync.R replays a directory. Names come from family-rules.yaml (rules_journal).

# A failed write, a corrupt line or an offline read: always names the file.
journal_error <- function(message, file, line = NULL) {
  mlflowrest_condition(message, "mlflowrest_journal_error", file = file, line = line)
}

new_local_id <- function() paste0(rules_journal$local_id_prefix, random_hex())

local_id_regex <- function() paste0("^", rules_journal$local_id_prefix, "[0-9a-f]{32}$")

is_local_id <- function(x) {
  is.character(x) && length(x) == 1L && !is.na(x) && grepl(local_id_regex(), x)
}

journal_file_regex <- function() {
  paste0("^", rules_journal$file_prefix, "[0-9a-f]{32}", gsub(".", "\\.", rules_journal$file_suffix, fixed = TRUE), "$")
}

host_name <- function() Sys.info()[["nodename"]]

# ---- writing --------------------------------------------------------------------------------

# The process's writer for `dir`, opened (and its `open` record written) at the first record.
# One per directory: the fluent API builds a client per call, the journal outlives them.
journal_writer <- function(dir, mode, tracking_uri, fsync = "interval", fsync_interval = 1) {
  writers <- .globals$journals %||% (.globals$journals <- new.env(parent = emptyenv()))
  key <- normalizePath(dir, mustWork = FALSE)
  w <- writers[[key]]
  if (!is.null(w)) return(w)
  w <- new.env(parent = emptyenv())
  w$dir <- key
  w$mode <- mode
  w$tracking_uri <- tracking_uri
  w$fsync <- fsync
  w$fsync_interval <- fsync_interval
  w$session <- NULL      # set when the file is opened
  w$seq <- 0L
  w$pending <- new.env(parent = emptyenv())  # seqs without done/failed, by seq
  w$binds <- new.env(parent = emptyenv())    # local id -> remote id, learnt in this process
  w$offline <- new.env(parent = emptyenv())  # what offline reads are served from
  assign(key, w, envir = writers)
  w
}

journal_start <- function(w) {
  if (!dir.create(w$dir, recursive = TRUE, showWarnings = FALSE) && !dir.exists(w$dir)) {
    stop(journal_error(sprintf("cannot create the journal directory %s", w$dir), w$dir))
  }
  w$session <- random_hex()
  w$path <- file.path(w$dir, paste0(rules_journal$file_prefix, w$session, rules_journal$file_suffix))
  w$con <- file(w$path, open = "ab")
  w$size <- 0
  w$synced_at <- as.numeric(Sys.time())
  watch_exit()  # writes the close record at exit
  journal_append(w, record_json(list(
    type = "open", format = rules_journal$format, version = as.integer(rules_journal$version),
    session = w$session, sdk = "r", sdk_version = as.character(utils::packageVersion("mlflowrest")),
    pid = Sys.getpid(), host = host_name(), created_ms = now_ms(), mode = w$mode,
    tracking_uri = w$tracking_uri
  )))
}

# One record, one write. The file's size after the write must be the bytes written so far:
# R's connections do not report a failed write (disk full), the size does. A failed write
# truncates the file back to its last whole record and breaks the writer: nothing recorded
# before it is touched, and nothing after it is appended behind half a line.
journal_append <- function(w, line) {
  if (is.null(w$session)) journal_start(w)
  if (!is.null(w$broken)) stop(w$broken)
  text <- paste0(line, "\n")
  cat(text, file = w$con, sep = "")
  flush(w$con)
  expected <- w$size + nchar(text, type = "bytes")
  if (!identical(as.numeric(file.size(w$path)), expected)) {
    w$broken <- journal_error(sprintf(
      "cannot write to the journal %s (disk full?): %.0f bytes on disk, %.0f expected; the records before are intact",
      w$path, as.numeric(file.size(w$path)), expected), w$path)
    try(truncate_file(w$path, w$size), silent = TRUE)
    stop(w$broken)
  }
  w$size <- expected
  now <- as.numeric(Sys.time())
  if (w$fsync == "always" || (w$fsync == "interval" && now - w$synced_at >= w$fsync_interval)) {
    journal_fsync(w, now)
  }
  invisible()
}

# Base R has no fsync: coreutils' `sync FILE` calls fsync(2) on it (~2-12 ms a call, so
# `interval`, the default, costs at most that once a second).
journal_fsync <- function(w, now = as.numeric(Sys.time())) {
  w$synced_at <- now
  system2("sync", shQuote(w$path), stdout = FALSE, stderr = FALSE)
  invisible()
}

truncate_file <- function(path, size) {
  con <- file(path, open = "r+b")
  on.exit(close(con))
  seek(con, size, rw = "write")
  truncate(con)
  invisible()
}

# A `call` record; `body_text` is the request's JSON text, written as it is sent.
journal_call <- function(w, operation, method, path, body_text, request_id, binds = NULL) {
  if (is.null(w$session)) journal_start(w)
  w$seq <- w$seq + 1L
  seq <- w$seq
  line <- sprintf(paste0('{"type":"call","seq":%d,"request_id":%s,"operation":%s,"method":%s,"path":%s,',
                         '"body":%s,"time_ms":%s%s}'),
                  seq, json_quote(request_id), json_quote(operation), json_quote(method), json_quote(path),
                  body_text, json_int64(now_ms()),
                  if (is.null(binds)) "" else sprintf(',"binds":{"field":%s,"local":%s}',
                                                      json_quote(binds$field), json_quote(binds$local)))
  journal_append(w, line)
  assign(as.character(seq), TRUE, envir = w$pending)
  seq
}

journal_artifact <- function(w, run_id, artifact_path, file, kind) {
  w$seq <- w$seq + 1L
  journal_append(w, record_json(list(
    type = "artifact", seq = w$seq, request_id = random_hex(), run_id = run_id,
    artifact_path = artifact_path, file = file, kind = kind, time_ms = now_ms())))
  assign(as.character(w$seq), TRUE, envir = w$pending)
  w$seq
}

journal_done <- function(w, seq, status = 200L, outcome = NULL) {
  journal_append(w, record_json(compact(list(type = "done", seq = seq, status = as.integer(status),
                                             time_ms = now_ms(), outcome = outcome))))
  settle_seq(w, seq)
}

journal_failed <- function(w, seq, status, error_code, message) {
  journal_append(w, record_json(list(type = "failed", seq = seq, status = as.integer(status %||% 400L),
                                     error_code = error_code %||% "ERROR", message = message)))
  settle_seq(w, seq)
}

journal_bind <- function(w, seq, local, remote) {
  journal_append(w, record_json(list(type = "bind", seq = seq, local = local, remote = remote)))
  assign(local, remote, envir = w$binds)
}

settle_seq <- function(w, seq) {
  key <- as.character(seq)
  if (exists(key, envir = w$pending, inherits = FALSE)) rm(list = key, envir = w$pending)
}

# Calls of this process not yet answered: what is left for sync.
journal_left <- function(w) length(ls(w$pending, all.names = TRUE))

journal_close <- function(w) {
  if (is.null(w$session) || !is.null(w$broken) || isTRUE(w$closed)) return(invisible())
  journal_append(w, record_json(list(type = "close", time_ms = now_ms())))
  if (w$fsync != "never") journal_fsync(w)
  close(w$con)
  w$closed <- TRUE
  invisible()
}

close_journals <- function() {
  for (key in ls(.globals$journals %||% emptyenv())) {
    tryCatch(journal_close(.globals$journals[[key]]), error = function(e) {
      message("mlflowrest: closing the journal: ", conditionMessage(e))
    })
  }
}

# ---- JSON -----------------------------------------------------------------------------------

# Any parsed record or body back to JSON, doubles exact (jsonlite's digits stop at 15), so a
# replayed metric point is the one the server may already hold, bit for bit.
record_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      if (!length(x)) return("{}")
      return(paste0("{", paste0(json_quote(names(x)), ":", vapply(x, record_json, character(1)), collapse = ","), "}"))
    }
    return(paste0("[", paste(vapply(x, record_json, character(1)), collapse = ","), "]"))
  }
  if (length(x) != 1L) return(record_json(as.list(x)))
  if (is.character(x)) return(json_quote(x))
  if (is.logical(x)) return(if (is.na(x)) "null" else if (x) "true" else "false")
  if (is.integer(x)) return(as.character(x))
  if (x == trunc(x) && abs(x) < 2^53) return(sprintf("%.0f", x))
  json_metric_value(x)
}

# ---- reading --------------------------------------------------------------------------------

# The records of one journal file. A last line without its newline, or one that does not
# parse, is a torn write (`torn`, `valid_bytes` where it starts); a bad line elsewhere is
# corruption, raised naming the file and the line.
journal_read <- function(path) {
  size <- file.size(path)
  bytes <- if (size > 0) readBin(path, raw(), size) else raw()
  ends <- which(bytes == as.raw(10L))
  valid_bytes <- if (length(ends)) ends[length(ends)] else 0
  torn <- length(bytes) > valid_bytes
  lines <- character()
  if (valid_bytes > 0) lines <- strsplit(rawToChar(bytes[seq_len(valid_bytes)]), "\n", fixed = TRUE)[[1]]
  Encoding(lines) <- "UTF-8"
  records <- parse_lines(lines)
  bad <- which(vapply(records, is.null, logical(1)))
  if (length(bad) && !torn && bad[length(bad)] == length(lines)) {
    # The last full line does not parse: torn too.
    torn <- TRUE
    valid_bytes <- if (length(lines) > 1L) ends[length(lines) - 1L] else 0
    records <- records[-length(records)]
    bad <- bad[-length(bad)]
  }
  if (length(bad)) {
    stop(journal_error(sprintf("corrupt journal %s: line %d is not a JSON record", path, bad[1]), path, bad[1]))
  }
  list(path = path, records = records, torn = torn, valid_bytes = valid_bytes)
}

# Parsed records (NULL for a line that is not a JSON object with a type); one parse for the
# whole file when every line is good.
parse_lines <- function(lines) {
  if (!length(lines)) return(list())
  parse <- function(text) jsonlite::fromJSON(text, simplifyVector = FALSE, bigint_as_char = TRUE)
  all <- tryCatch(parse(paste0("[", paste(lines, collapse = ","), "]")), error = function(e) NULL)
  if (is.list(all) && length(all) == length(lines) &&
      all(vapply(all, function(r) is.list(r) && is.character(r$type), logical(1)))) {
    return(all)
  }
  lapply(lines, function(line) {
    r <- tryCatch(parse(line), error = function(e) NULL)
    if (is.list(r) && is.character(r$type)) r else NULL
  })
}

# A copy of a file or folder under artifacts/<session>/<seq>/, then its `artifact` record.
journal_log_artifact <- function(w, path, artifact_path, run_id) {
  if (is.null(w$session)) journal_start(w)
  relative <- file.path(rules_journal$artifacts_dir, w$session, w$seq + 1L)
  dest <- file.path(w$dir, relative)
  dir.create(dest, recursive = TRUE, showWarnings = FALSE)
  kind <- if (dir.exists(path)) "dir" else "file"
  sources <- if (kind == "dir") list.files(path, full.names = TRUE, all.files = TRUE, no.. = TRUE) else path
  if (!all(file.copy(sources, dest, recursive = TRUE, copy.date = TRUE))) {
    stop(journal_error(sprintf("cannot copy %s into the journal's %s (disk full?)", path, dest), dest))
  }
  file <- if (kind == "dir") relative else file.path(relative, basename(path))
  journal_artifact(w, run_id, artifact_path %||% "", file, kind)
}
