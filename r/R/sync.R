# mlflow_sync(): replays a journal or offline directory into a server, by docs/journal.md alone
# (not by what this SDK writes), so journals of the Python and Java SDKs sync from here too.

#' Replay a journal or offline directory into a tracking server
#'
#' Sends, file by file and in order, every call and artifact of `dir` that has no `done` or
#' `failed` record yet (docs/journal.md), binding the local ids of offline runs and experiments
#' to the server's, and appends `done`, `failed` and `bind` records as answers come. Run twice,
#' or killed half-way and run again, it creates nothing twice: a run is looked up by its
#' idempotency key before it is created, a repeated metric point, param or tag changes nothing.
#' A file still being written by a live process is skipped unless `include_live`; one sync runs
#' on a directory at a time (`sync.lock/`). Journals written by the Python and Java SDKs sync
#' the same way.
#'
#' @param dir The journal directory (`MLFLOWREST_JOURNAL_DIR`, or the `DIR` of `offline:DIR`).
#' @param tracking_uri The server; [mlflow_get_tracking_uri()] when `NULL`.
#' @param include_live Also replay files whose writer is still running.
#' @return The report, invisibly (also printed): a list with `files` (one entry per file:
#'   `sent`, `already_present`, `failed`, `error_codes`, `waiting`, `torn`, `runs`, `skipped`,
#'   `error`), the same totals, and `status`, 0 when nothing failed or waits, else 1.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   dir <- tempfile("offline-")
#'   mlflow_set_tracking_uri(paste0("offline:", dir))
#'   mlflow_start_run()
#'   mlflow_log_param("alpha", 0.5)
#'   mlflow_end_run()
#'   mlflow_set_tracking_uri(Sys.getenv("MLFLOW_TRACKING_URI"))
#'   report <- mlflow_sync(dir)
#'   report$status
#' }
#' @export
mlflow_sync <- function(dir, tracking_uri = NULL, include_live = FALSE) {
  if (!is.character(dir) || length(dir) != 1L || !dir.exists(dir)) {
    abort_invalid(sprintf("no journal directory '%s'", format(dir)), "dir")
  }
  client <- mlflow_client(tracking_uri)
  if (isTRUE(client$offline)) abort_invalid("mlflow_sync() needs a server URI, not offline:", "tracking_uri")
  client$journal <- NULL
  release <- take_sync_lock(dir)
  on.exit(release(), add = TRUE)
  paths <- list.files(dir, pattern = journal_file_regex(), full.names = TRUE)
  binds <- new.env(parent = emptyenv())
  files <- list()
  reads <- list()
  for (path in paths) {
    reads[[path]] <- tryCatch(journal_read(path), mlflowrest_journal_error = function(e) e)
    if (!inherits(reads[[path]], "error")) {
      for (r in reads[[path]]$records) if (identical(r$type, "bind")) assign(r$local, r$remote, envir = binds)
    }
  }
  # Oldest first: a later process may use ids an earlier one created.
  created <- vapply(reads, function(x) {
    if (inherits(x, "error") || !length(x$records)) 0 else as.numeric(x$records[[1L]]$created_ms %||% 0)
  }, numeric(1))
  for (path in paths[order(created)]) {
    files[[basename(path)]] <- if (inherits(reads[[path]], "error")) {
      file_report(error = conditionMessage(reads[[path]]), failed = 1L)
    } else {
      sync_file(reads[[path]], client, binds, include_live, dir)
    }
  }
  report <- sync_report(files)
  cat(format_sync_report(report), sep = "\n")
  invisible(report)
}

file_report <- function(...) {
  utils::modifyList(list(sent = 0L, already_present = 0L, failed = 0L, error_codes = character(), waiting = 0L,
                         torn = 0L, runs = list(), skipped = NULL, error = NULL), list(...))
}

sync_report <- function(files) {
  total <- function(field) sum(vapply(files, function(f) as.integer(f[[field]]), integer(1)))
  report <- list(
    files = files, sent = total("sent"), already_present = total("already_present"), failed = total("failed"),
    error_codes = unique(unlist(lapply(files, function(f) f$error_codes))), waiting = total("waiting"),
    torn = total("torn"), runs = do.call(c, c(list(list()), lapply(files, function(f) f$runs))),
    skipped = sum(vapply(files, function(f) !is.null(f$skipped), logical(1)))
  )
  report$status <- if (report$failed > 0L || report$waiting > 0L) 1L else 0L
  structure(report, class = "mlflowrest_sync_report")
}

format_sync_report <- function(report) {
  codes <- function(f) if (length(f$error_codes)) sprintf(" (%s)", paste(f$error_codes, collapse = ", ")) else ""
  counts <- function(f) {
    sprintf("sent %d, already present %d, failed %d%s, waiting %d, torn lines ignored %d",
            f$sent, f$already_present, f$failed, codes(f), f$waiting, f$torn)
  }
  lines <- character()
  for (name in names(report$files)) {
    f <- report$files[[name]]
    lines <- c(lines, paste0(name, ": ", if (!is.null(f$skipped)) paste("skipped,", f$skipped) else counts(f)),
               if (!is.null(f$error)) paste0("  stopped: ", f$error),
               sprintf("  run %s -> %s", names(f$runs), unlist(f$runs)))
  }
  c(lines, sprintf("total: %s, runs created %d%s", counts(report), length(report$runs),
                   if (report$skipped) sprintf(", %d live files skipped", report$skipped) else ""))
}

#' @export
print.mlflowrest_sync_report <- function(x, ...) {
  cat(format_sync_report(x), sep = "\n")
  invisible(x)
}

# mkdir is atomic: the lock is the directory. A lock whose owner died is taken over.
take_sync_lock <- function(dir) {
  lock <- file.path(dir, rules_journal$lock_dir)
  for (attempt in 1:2) {
    if (dir.create(lock, showWarnings = FALSE)) {
      writeLines(record_json(list(pid = Sys.getpid(), host = host_name(), started_ms = now_ms())),
                 file.path(lock, "owner.json"))
      return(function() unlink(lock, recursive = TRUE))
    }
    owner <- tryCatch(jsonlite::fromJSON(file.path(lock, "owner.json")), error = function(e) NULL)
    if (!is.null(owner) && process_alive(owner$pid, owner$host)) break
    unlink(lock, recursive = TRUE)  # its owner is gone (or never wrote owner.json)
  }
  stop(journal_error(sprintf("another sync (pid %s) is running on %s (%s exists)",
                             format(owner$pid %||% "?"), dir, lock), lock))
}

# Alive on this host; on another host we cannot tell, so it counts as alive.
process_alive <- function(pid, host) {
  if (is.null(pid)) return(FALSE)
  if (!identical(host, host_name())) return(TRUE)
  isTRUE(tools::pskill(as.integer(pid), 0L))
}

# Replays one file's unsettled calls in seq order, appending what the server answered.
sync_file <- function(read, client, binds, include_live, dir) {
  records <- read$records
  report <- file_report(torn = as.integer(read$torn))
  if (!length(records)) return(report)
  opened <- records[[1L]]
  if (!identical(opened$type, "open") || !identical(opened$format, rules_journal$format)) {
    return(file_report(error = "not a journal (no open record)", failed = 1L))
  }
  types <- vapply(records, function(r) r$type, character(1))
  if (!"close" %in% types && !include_live && process_alive(opened$pid, opened$host)) {
    return(file_report(skipped = sprintf("being written by live process %s on %s (include_live = TRUE to sync it)",
                                          opened$pid, opened$host)))
  }
  settled <- vapply(records[types %in% c("done", "failed")], function(r) as.integer(r$seq), integer(1))
  todo <- Filter(function(r) r$type %in% c("call", "artifact") && !as.integer(r$seq) %in% settled, records)
  if (!length(todo)) return(report)
  w <- sync_writer(read, binds)
  on.exit(close(w$con), add = TRUE)
  for (i in seq_along(todo)) {
    r <- todo[[i]]
    outcome <- tryCatch(replay_record(r, client, w, dir), mlflowrest_error = function(e) e)
    if (inherits(outcome, "waiting")) {
      report$waiting <- length(todo) - i + 1L
      report$error <- conditionMessage(outcome)
      break
    }
    if (inherits(outcome, "mlflowrest_error")) {
      if (unreachable(outcome) || is.null(outcome$http_status)) {
        # No answer: nothing to record; this file stops and waits for the next sync.
        report$waiting <- length(todo) - i + 1L
        report$error <- conditionMessage(outcome)
        break
      }
      journal_failed(w, r$seq, outcome$http_status, outcome$error_code, outcome$server_message)
      report$failed <- report$failed + 1L
      report$error_codes <- union(report$error_codes, outcome$error_code %||% as.character(outcome$http_status))
      next
    }
    report[[outcome$outcome]] <- report[[outcome$outcome]] + 1L
    if (!is.null(outcome$run)) report$runs[[outcome$run[[1]]]] <- outcome$run[[2]]
  }
  report
}

# Appends to a file another process wrote: its torn last line is cut off first.
sync_writer <- function(read, binds) {
  if (read$torn) truncate_file(read$path, read$valid_bytes)
  w <- new.env(parent = emptyenv())
  w$path <- read$path
  w$session <- "sync"
  w$con <- file(read$path, open = "ab")
  w$size <- as.numeric(file.size(read$path))
  w$fsync <- "interval"
  w$fsync_interval <- 1
  w$synced_at <- as.numeric(Sys.time())
  w$pending <- new.env(parent = emptyenv())
  w$binds <- binds
  w
}

# Sends one record; list(outcome = "sent" | "already_present", run = c(local, remote) or NULL).
replay_record <- function(r, client, w, dir) {
  seq <- as.integer(r$seq)
  if (identical(r$type, "artifact")) {
    run_id <- bound_id(r$run_id, w$binds)
    replay_artifact(r, run_id, client, dir)
    journal_done(w, seq, 200L, "sent")
    return(list(outcome = "sent"))
  }
  body <- bind_ids(r$body, w$binds)
  local <- r$binds$local
  if (!is.null(local) && exists(local, envir = w$binds, inherits = FALSE)) {
    # Bound by an earlier sync that died before its done record.
    journal_done(w, seq, 200L, "already_present")
    return(list(outcome = "already_present"))
  }
  found <- if (identical(r$operation, "createRun")) existing_run(client, body, local, r$request_id)
  if (!is.null(found)) {
    if (!is.null(local)) journal_bind(w, seq, local, found)
    journal_done(w, seq, 200L, "already_present")
    return(list(outcome = "already_present", run = if (!is.null(local)) c(local, found)))
  }
  answer <- tryCatch(
    mlflow_request(client, r$method, r$path, body = json_text(record_json(body))),
    mlflowrest_resource_already_exists = function(e) e)
  outcome <- "sent"
  if (inherits(answer, "mlflowrest_resource_already_exists")) {
    outcome <- "already_present"
    answer <- if (identical(r$operation, "createExperiment")) {
      list(experiment_id = mlflow_request(client, "GET", rules_operations$getExperimentByName$path,
                                          query = list(experiment_name = body$name))$experiment$experiment_id)
    } else {
      list()
    }
  }
  remote <- NULL
  if (!is.null(local)) {
    remote <- if (identical(r$binds$field, "experiment_id")) answer$experiment_id else answer$run$info$run_id
    if (is.null(remote)) {
      stop(journal_error(sprintf("%s: the answer to seq %d has no %s", w$path, seq, r$binds$field), w$path))
    }
    journal_bind(w, seq, local, remote)
  }
  journal_done(w, seq, 200L, outcome)
  list(outcome = outcome, run = if (identical(r$operation, "createRun") && !is.null(local)) c(local, remote))
}

# A run an earlier try made: by the idempotency key (the local id), else by the request id.
existing_run <- function(client, body, local, request_id) {
  tags <- body$tags %||% list()
  by <- if (!is.null(local)) {
    c(rules_idempotency_key_tag, local)
  } else if (any(vapply(tags, function(t) identical(t$key, rules_request_id_tag), logical(1)))) {
    c(rules_request_id_tag, request_id)
  }
  if (is.null(by)) return(NULL)
  runs <- mlflow_request(client, "POST", rules_operations$searchRuns$path, body = list(
    experiment_ids = list(body$experiment_id), filter = sprintf("tags.`%s` = '%s'", by[1], by[2]),
    run_view_type = "ALL", max_results = 1))$runs
  if (length(runs)) runs[[1L]]$info$run_id else NULL
}

# Internal: caught by sync_file(), never reaches the caller.
waiting <- function(local) {
  mlflowrest_condition(sprintf("%s has no server id yet (its create is not synced)", local), "waiting")
}

bound_id <- function(id, binds) {
  if (!is_local_id(id)) return(id)
  if (!exists(id, envir = binds, inherits = FALSE)) stop(waiting(id))
  get(id, envir = binds)
}

# The body with every local id in an id field (at any depth) replaced by its server id.
bind_ids <- function(x, binds) {
  if (!is.list(x)) return(x)
  fields <- rules_journal$id_fields
  for (i in seq_along(x)) {
    name <- names(x)[i]
    if (!is.null(name) && name %in% fields && is.character(x[[i]])) {
      x[[i]] <- bound_id(x[[i]], binds)
    } else if (!is.null(name) && name %in% fields && is.list(x[[i]])) {
      x[[i]] <- lapply(x[[i]], function(v) if (is.character(v)) bound_id(v, binds) else bind_ids(v, binds))
    } else if (is.list(x[[i]])) {
      x[[i]] <- bind_ids(x[[i]], binds)
    }
  }
  x
}

# A file goes to artifact_path/<its name>, a folder's contents under artifact_path.
replay_artifact <- function(r, run_id, client, dir) {
  source <- file.path(dir, r$file)
  if (!file.exists(source)) stop(journal_error(sprintf("artifact %s of the journal is missing", source), source))
  relative <- if (identical(r$kind, "dir")) {
    list.files(source, recursive = TRUE, all.files = TRUE, no.. = TRUE)
  } else {
    basename(source)
  }
  locals <- if (identical(r$kind, "dir")) file.path(source, relative) else source
  store <- run_artifact_store(run_id, client)
  artifact_path <- if (nzchar(r$artifact_path %||% "")) r$artifact_path
  upload_all(store, locals, vapply(relative, function(p) join_path(artifact_path, p), character(1), USE.NAMES = FALSE))
}
