# Background metric logging without threads. A logged point goes into preallocated
# vectors; a full buffer (the server's max metrics per log-batch) or one older than the
# flush interval becomes a runs/log-batch request sent on curl's multi interface, and
# every logging call pumps that pool without waiting, so a training loop never waits for
# the server. Batches in flight are bounded by the session's write window (congestion.R),
# shared by every logger writing to the server and shrunk by overload answers.
# Three kinds of failure, three outcomes (docs/design.md, "Background logging"), as in the
# Python and Java loggers:
# - transient (no answer, a retried status, an overload answer): the batch keeps its points and
#   goes again after the backoff; the server stores identical points once, so a resend is safe;
# - 400 INVALID_PARAMETER_VALUE about points: the batch is split in halves and resent until each
#   refused point is alone; those are dropped and reported, every other point is stored;
# - a final answer about the run (deleted, 404, 401, 403): the logger stops, and every later
#   call raises that error.
# mlflow_flush() waits at most flush_timeout and raises what was refused or stopped the logger,
# with the count stored. Nothing is resent after a final answer, so nothing loops.

new_background_logger <- function(client, run_id, flush_interval = 1) {
  size <- limit("max_metrics_per_batch")
  logger <- new.env(parent = emptyenv())
  logger$client <- client
  logger$run_id <- run_id
  logger$url <- paste0(client$host, rules_operations$logBatch$path)
  logger$flush_interval <- flush_interval
  logger$size <- size
  # Column buffers, filled in place and reused after every cut: appending is O(1).
  logger$key <- character(size)
  logger$value <- numeric(size)
  logger$timestamp <- numeric(size)
  logger$step <- numeric(size)
  logger$n <- 0L
  logger$cut_at <- logger$pumped_at <- as.numeric(Sys.time())
  logger$queue <- list()    # batches waiting to be sent, oldest first
  logger$sending <- list()  # batches in flight, by batch id
  logger$next_id <- 0L
  logger$peak_in_flight <- 0L
  logger$stored <- 0          # points the server has stored
  logger$refused <- list()    # one-point batches the server refused, with its error
  logger$reported <- 0L       # refused points already raised by a flush
  logger$answers <- list()    # final answers met in curl's callbacks, handled by pump()
  logger$fatal <- NULL        # the answer that stopped the logger
  logger$window <- write_window(client)
  # Each batch in flight also holds one of the host's write slots (host_slots.R), by batch id;
  # slot_wait_since: when the head of the queue began waiting for one.
  logger$host_slots <- host_slots_for(client)
  logger$slots <- new.env(parent = emptyenv())
  logger$slot_wait_since <- NULL
  logger$pool <- new_logger_pool(logger)
  # With a journal each batch is a call record before it is sent (journal_mode.R); a run with a
  # local id (offline, or created while the server was away) is only recorded, for sync.
  logger$journal <- client$journal
  logger$local <- isTRUE(client$offline) || is_local_id(run_id)
  logger$keep <- !is.null(client$journal) && identical(client$journal_on_unreachable, "keep")
  logger
}

# Room for the window's largest size: the window, not the pool, is what limits.
new_logger_pool <- function(logger) {
  curl::new_pool(total_con = logger$window$max, host_con = logger$window$max)
}

# The logger of a run, if it has one.
background_logger <- function(run_id) {
  loggers <- .globals$loggers
  if (is.null(loggers) || is.null(run_id) || !is.character(run_id) || length(run_id) != 1L ||
      is.na(run_id) || !nzchar(run_id)) {
    return(NULL)
  }
  loggers[[run_id]]
}

check_flush_interval <- function(flush_interval) {
  if (!is.numeric(flush_interval) || length(flush_interval) != 1L || is.na(flush_interval) ||
      flush_interval < 0) {
    abort_invalid("flush_interval must be a non-negative number of seconds", "flush_interval")
  }
}

start_background_logger <- function(client, run_id, flush_interval) {
  check_flush_interval(flush_interval)
  if (is.null(.globals$loggers)) .globals$loggers <- new.env(parent = emptyenv())
  logger <- .globals$loggers[[run_id]]
  if (is.null(logger)) {
    watch_exit()
    logger <- new_background_logger(client, run_id, flush_interval)
    assign(run_id, logger, envir = .globals$loggers)
  }
  invisible(logger)
}

stop_background_logger <- function(run_id) {
  logger <- background_logger(run_id)
  if (is.null(logger)) return(invisible())
  # Requests a failed flush left in flight will never be answered here: their slots go back.
  for (id in ls(logger$slots)) logger_slot_release(logger, id)
  rm(list = run_id, envir = .globals$loggers)
}

pending_points <- function(logger) {
  batches <- c(logger$queue, logger$sending, lapply(logger$answers, function(a) a$batch))
  logger$n + sum(vapply(batches, function(b) b$points, integer(1)))
}

# One point; the caller has validated key and value.
logger_add <- function(logger, key, value, timestamp, step) {
  if (!is.null(logger$fatal)) stop(logger_summary(logger, logger$fatal, "stopped"))
  now <- as.numeric(Sys.time())
  i <- logger$n + 1L
  # Taken out of the environment while they change: `logger$key[i] <- key` would copy the
  # whole vector on every call, `keys[i] <- key` on the only reference changes it in place.
  keys <- logger$key
  values <- logger$value
  timestamps <- logger$timestamp
  steps <- logger$step
  logger$key <- logger$value <- logger$timestamp <- logger$step <- NULL
  keys[i] <- key
  values[i] <- value
  timestamps[i] <- if (is.null(timestamp)) floor(now * 1000) else timestamp
  steps[i] <- step
  logger$key <- keys
  logger$value <- values
  logger$timestamp <- timestamps
  logger$step <- steps
  logger$n <- i
  if (i >= logger$size || now - logger$cut_at >= logger$flush_interval) cut_batch(logger, now)
  pump(logger, now)
}

# Moves the buffered points into request bodies on the queue and empties the buffer.
cut_batch <- function(logger, now = as.numeric(Sys.time())) {
  logger$cut_at <- now
  n <- logger$n
  if (n == 0L) return(invisible())
  rows <- seq_len(n)
  metric_json <- sprintf('{"key":%s,"value":%s,"timestamp":%s,"step":%s}',
                         json_quote(logger$key[rows]), json_metric_value(logger$value[rows]),
                         json_int64(logger$timestamp[rows]), json_int64(logger$step[rows]))
  body <- batch_envelope(logger$run_id, metric_json, character(), character())
  bodies <- if (nchar(body, type = "bytes") <= limit("max_batch_request_bytes")) {
    list(list(body = body, points = n))
  } else {
    # Long multi-byte keys: let the general packer split by bytes.
    entities <- data.frame(kind = "metrics", key = logger$key[rows], json = metric_json,
                           stringsAsFactors = FALSE)
    chunk <- batch_chunks(logger$run_id, entities)
    lapply(split(metric_json, chunk), function(part) {
      list(body = batch_envelope(logger$run_id, part, character(), character()), points = length(part))
    })
  }
  first <- 1L
  for (b in bodies) {
    rows_b <- first:(first + b$points - 1L)
    first <- first + b$points
    batch <- new_batch(
      logger, metric_json[rows_b], b$body,
      list(key = logger$key[rows_b], value = logger$value[rows_b],
           timestamp = logger$timestamp[rows_b], step = logger$step[rows_b]))
    if (!logger$local) logger$queue[[length(logger$queue) + 1L]] <- batch
  }
  logger$n <- 0L
  invisible()
}

# A request body and the points it holds (their JSON and their columns, to split it).
new_batch <- function(logger, metric_json, body = NULL, columns) {
  batch <- new.env(parent = emptyenv())
  batch$json <- metric_json
  batch$body <- body %||% batch_envelope(logger$run_id, metric_json, character(), character())
  batch$columns <- columns
  batch$points <- length(metric_json)
  batch$attempts <- 0L     # consecutive failures
  batch$not_before <- 0    # no resend before this time (backoff)
  batch$error <- NULL
  if (!is.null(logger$journal)) {
    batch$seq <- journal_call(logger$journal, "logBatch", "POST", rules_operations$logBatch$path, batch$body,
                              random_hex())
  }
  batch
}

# The batch's points in `rows` as a batch of their own.
sub_batch <- function(logger, batch, rows) {
  new_batch(logger, batch$json[rows], NULL, lapply(batch$columns, function(col) col[rows]))
}

# Collects finished requests (their callbacks run here) and starts queued batches, all
# without waiting. A look at the pool costs ~10 us, so a tight loop looks once a
# millisecond (`every`), which still takes answers within a millisecond of arriving.
pump <- function(logger, now = as.numeric(Sys.time()), every = 0.001) {
  if (length(logger$sending) && now - logger$pumped_at >= every) {
    logger$pumped_at <- now
    curl::multi_run(timeout = 0, poll = TRUE, pool = logger$pool)
  }
  handle_final_answers(logger)
  while (is.null(logger$fatal) && window_has_room(logger$window) && length(logger$queue) &&
         logger$queue[[1L]]$not_before <= now) {
    slot <- logger_slot(logger, now)
    if (is.null(slot)) break  # every host slot taken: the batch waits, the training loop goes on
    batch <- logger$queue[[1L]]
    logger$queue[[1L]] <- NULL
    send_batch(logger, batch, slot)
  }
  invisible()
}

# A host write slot for the next batch, without waiting: the loop must never block on other
# processes. NULL while the slots are taken, until the batch has waited the client's timeout
# (then a handle without a slot: the write goes anyway, as host_slot_acquire() would).
# Tries are spaced as host_slot_acquire() spaces them (first_poll_ms doubling up to max_poll_ms),
# not one round of lock calls per logged point.
logger_slot <- function(logger, now) {
  if (!is.null(logger$slot_wait_since) && now < logger$slot_next_try) return(NULL)
  slot <- host_slot_try(logger$host_slots)
  if (is.null(slot)) {
    if (is.null(logger$slot_wait_since)) {
      logger$slot_wait_since <- now
      logger$slot_pause <- rules_host_slots$first_poll_ms / 1000
    } else {
      logger$slot_pause <- min(logger$slot_pause * 2, rules_host_slots$max_poll_ms / 1000)
    }
    logger$slot_next_try <- now + logger$slot_pause
    if (now - logger$slot_wait_since < logger$client$timeout) return(NULL)
    slot <- host_slot_waited_out(logger$host_slots)
  }
  logger$slot_wait_since <- NULL
  slot
}

logger_slot_release <- function(logger, id) {
  slot <- logger$slots[[id]]
  if (is.null(slot)) return(invisible())
  rm(list = id, envir = logger$slots)
  host_slot_release(slot)
}

# The slot is held exactly while the batch is in `sending` (what the window counts): taken here,
# given back first thing in either callback, success or failure.
send_batch <- function(logger, batch, slot = NULL) {
  handle <- new_request_handle(logger$client, "POST", batch$body)
  curl::handle_setopt(handle, url = logger$url)
  id <- as.character(logger$next_id <- logger$next_id + 1L)
  logger$sending[[id]] <- batch
  if (!is.null(slot)) assign(id, slot, envir = logger$slots)
  logger$peak_in_flight <- max(logger$peak_in_flight, length(logger$sending))
  curl::multi_add(
    handle, pool = logger$pool,
    done = function(res) {
      logger_slot_release(logger, id)
      batch_answered(logger, id, res)
    },
    fail = function(message) {
      logger_slot_release(logger, id)
      batch_failed(logger, id, transport_error(message, "POST", rules_operations$logBatch$path,
                                               timeout = is_timeout(message)))
    }
  )
}

batch_answered <- function(logger, id, res) {
  if (res$status_code < 300L) {
    window_stored(logger$window)
    if (!is.null(logger$sending[[id]]$seq)) {
      journal_batch_done(logger, logger$sending[[id]], res$status_code)
      # The server is back: what waited out the outage goes now, not after its grown backoff.
      for (batch in if (logger$keep) logger$queue) {
        batch$attempts <- 0L
        batch$not_before <- 0
      }
    }
    logger$stored <- logger$stored + logger$sending[[id]]$points
    logger$sending[[id]] <- NULL
    logger$error <- NULL
    return(invisible())
  }
  details <- error_details(response_text(res$content), res$status_code)
  error <- api_error(res$status_code, details$error_code, details$message, "POST",
                     rules_operations$logBatch$path)
  # Retried like the request helper's: a retried status or an overload answer (family-rules.yaml).
  if (is_retried_answer(res$status_code, details)) {
    signature <- overload_signature(res$status_code, details)
    if (!is.null(signature)) window_overloaded(logger$window)
    return(batch_failed(logger, id, error, retry_after_header(res$headers), isTRUE(signature$outlasts_max_retries)))
  }
  # Final: handled by pump() once curl's callbacks are done (it may make a request of its own).
  logger$answers[[length(logger$answers) + 1L]] <- list(batch = logger$sending[[id]], error = error)
  logger$sending[[id]] <- NULL
  invisible()
}

# No answer, or one worth retrying: the batch goes back to the head of the queue with its
# points, to be sent again after the backoff.
batch_failed <- function(logger, id, error, retry_after = NULL, busy = FALSE) {
  batch <- logger$sending[[id]]
  logger$sending[[id]] <- NULL
  if (split_slow_batch(logger, batch, error)) return(invisible())
  if (batch$attempts == 0L) batch$failing_since <- as.numeric(Sys.time())
  batch$attempts <- batch$attempts + 1L
  batch$busy <- busy  # the server said it is busy: retried past max_retries up to overload_timeout
  batch$error <- error
  client <- logger$client
  batch$not_before <- as.numeric(Sys.time()) +
    retry_wait(min(batch$attempts - 1L, 10L), retry_after, client$backoff_factor, client$backoff_jitter)
  logger$queue <- c(list(batch), logger$queue)
  logger$error <- error
  invisible()
}

# A 4xx that resending cannot cure. About points (INVALID_PARAMETER_VALUE) the batch is split
# until each refused point is alone; about the run or the caller the logger stops. A deleted
# run also answers INVALID_PARAMETER_VALUE, for every point: one runs/get tells it apart, so
# the batch is not split a thousand ways.
handle_final_answers <- function(logger) {
  while (length(logger$answers) && is.null(logger$fatal)) {
    answer <- logger$answers[[1L]]
    logger$answers[[1L]] <- NULL
    batch <- answer$batch
    error <- answer$error
    if (!inherits(error, "mlflowrest_invalid_parameter_value") || run_refuses_everything(logger)) {
      logger$fatal <- error
      logger$queue <- c(list(batch), logger$queue)
    } else if (batch$points == 1L) {
      journal_refused(logger, batch, error)
      logger$refused[[length(logger$refused) + 1L]] <- list(columns = batch$columns, error = error)
    } else {
      journal_refused(logger, batch, error)  # its halves are calls of their own
      middle <- batch$points %/% 2L
      logger$queue <- c(list(sub_batch(logger, batch, seq_len(middle)),
                             sub_batch(logger, batch, (middle + 1L):batch$points)), logger$queue)
    }
  }
  if (!is.null(logger$fatal)) {  # unsent: kept, counted in the error
    for (answer in logger$answers) logger$queue <- c(logger$queue, list(answer$batch))
    logger$answers <- list()
  }
  invisible()
}

journal_refused <- function(logger, batch, error) {
  if (is.null(batch$seq)) return(invisible())
  journal_failed(logger$journal, batch$seq, error$http_status, error$error_code, error$server_message)
}

run_refuses_everything <- function(logger) {
  if (isTRUE(logger$run_checked)) return(FALSE)
  stage <- tryCatch(
    api_runs_get(logger$client, run_id = logger$run_id)$run$info$lifecycle_stage,
    mlflowrest_resource_does_not_exist = function(e) "missing",
    mlflowrest_error = function(e) NULL)  # cannot tell: splitting still ends, a point at a time
  logger$run_checked <- TRUE
  !is.null(stage) && !identical(stage, "active")
}

# The cause's class and fields, with what the logger stored and which points were refused.
logger_summary <- function(logger, cause, what) {
  shown <- vapply(utils::head(logger$refused, 5L), function(r) {
    point <- r$columns
    sprintf("%s=%s (step=%s, timestamp=%s)", point$key, format(point$value), json_int64(point$step),
            json_int64(point$timestamp))
  }, character(1))
  more <- if (length(logger$refused) > 5L) sprintf(" and %d more", length(logger$refused) - 5L) else ""
  refused <- if (length(shown)) paste0("; refused: ", paste(shown, collapse = ", "), more) else ""
  error <- cause
  error$message <- sprintf("background logger for run %s: %.0f points stored, %s%s: %s",
                           logger$run_id, logger$stored, what, refused, conditionMessage(cause))
  error$stored <- logger$stored
  error$refused <- lapply(logger$refused, function(r) r$columns)
  error$pending_points <- error$unsent <- pending_points(logger)
  error
}

# Sends everything buffered and waits, at most `timeout` seconds, until the server has stored
# or refused it. Raises the refusal or the answer that stopped the logger (with the count
# stored), the last failure after more consecutive failures than the client's max_retries, or
# mlflowrest_timeout saying how many points are unsent. Unsent points stay buffered.
logger_flush <- function(logger, timeout = logger$client$flush_timeout) {
  deadline <- as.numeric(Sys.time()) + timeout
  cut_batch(logger)
  # A flush gives every waiting batch a fresh retry budget, starting now.
  for (batch in c(logger$queue, logger$sending)) {
    batch$attempts <- 0L
    batch$not_before <- 0
  }
  repeat {
    # Checked before the pump, which would send an exhausted batch again at once.
    for (batch in logger$queue) {
      # Journal kept: the retry budget ends no flush, the flush timeout does.
      if (out_of_retries(logger$client, batch$attempts - 1L, batch$busy,
                         as.numeric(Sys.time()) - (batch$failing_since %||% 0)) && !logger$keep) {
        give_up(logger, batch)
      }
    }
    now <- as.numeric(Sys.time())
    pump(logger, now, every = 0)
    if (!is.null(logger$fatal)) stop(logger_summary(logger, logger$fatal, "stopped"))
    if (!length(logger$queue) && !length(logger$sending) && !length(logger$answers)) break
    if (now >= deadline && logger$keep) return(invisible(left_for_sync(logger, logger$error)))
    if (now >= deadline) {
      stop(mlflowrest_condition(sprintf(
        "background logger: %d metric points of run %s still unsent after %g s (%.0f stored)%s",
        pending_points(logger), logger$run_id, timeout, logger$stored,
        if (is.null(logger$error)) "" else paste0("; last error: ", conditionMessage(logger$error))),
        c("mlflowrest_timeout", "mlflowrest_transport_error"),
        unsent = pending_points(logger), stored = logger$stored))
    }
    flush_wait(logger, now, deadline)
  }
  if (length(logger$refused) > logger$reported) {
    first <- logger$refused[[logger$reported + 1L]]$error
    logger$reported <- length(logger$refused)
    stop(logger_summary(logger, first, sprintf("%d refused", length(logger$refused))))
  }
  invisible()
}

# Until an answer comes, a backoff ends or the deadline; the head of the queue waiting for a host
# write slot looks again within max_poll_ms.
flush_wait <- function(logger, now, deadline) {
  slot_poll <- if (!is.null(logger$slot_wait_since)) rules_host_slots$max_poll_ms / 1000
  if (length(logger$sending)) {
    curl::multi_run(timeout = min(0.5, slot_poll, max(0.01, deadline - now)), poll = TRUE, pool = logger$pool)
  } else if (length(logger$queue)) {
    wait <- slot_poll %||% max(0, logger$queue[[1L]]$not_before - now)
    Sys.sleep(min(1, max(0, deadline - now), wait))
  }
}

# Journal kept, server away: the batches stay recorded for mlflow_sync(); the count goes back.
left_for_sync <- function(logger, error) {
  left <- length(logger$queue) + length(logger$sending)
  note_unreachable(logger$journal, error %||% mlflowrest_condition("no answer within the flush timeout"))
  left
}

give_up <- function(logger, batch) {
  error <- batch$error
  error$attempts <- batch$attempts
  error$pending_points <- error$unsent <- pending_points(logger)
  error$stored <- logger$stored
  error$message <- sprintf(
    "%s (%d metric points of run %s not stored yet, %.0f stored; kept for the next mlflow_flush())",
    conditionMessage(error), error$pending_points, logger$run_id, logger$stored)
  stop(error)
}

#' Wait until background-logged metrics are stored
#'
#' Runs started with `mlflow_start_run(background = TRUE)` buffer their metrics and send
#' them in batches while the loop goes on. `mlflow_flush()` sends what is buffered and
#' waits, at most `timeout` seconds, until the server has stored all of it.
#' [mlflow_end_run()] flushes before ending the run, and a run never ended is flushed and
#' ended when the R session exits; read metric history after a flush to see every point.
#'
#' A point the server refuses (a negative timestamp) does not hold back the others: its
#' batch is split and resent until the refused point is alone, every other point is stored,
#' and the flush raises the server's error naming the refused points.
#'
#' @param run_id The run; all runs with a background logger when `NULL`.
#' @param timeout The longest to wait, in seconds; `MLFLOWREST_FLUSH_TIMEOUT` (120 s)
#'   when `NULL`.
#' @return `NULL`, invisibly. Raises the usual `mlflowrest_error` conditions, with fields
#'   `stored` (points stored), `refused` (the refused points) and `unsent`:
#'   `mlflowrest_invalid_parameter_value` when the server refused points (naming them);
#'   the server's error when it refused the run itself (deleted: the logger stops and later
#'   logging calls raise it too); the last failure after more failures in a row than
#'   `MLFLOW_HTTP_REQUEST_MAX_RETRIES`; `mlflowrest_timeout` after `timeout`. Unsent points
#'   stay buffered and a later flush tries again.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_start_run(background = TRUE)
#'   for (step in 1:1000) mlflow_log_metric("loss", 1 / step, step = step)
#'   mlflow_flush(timeout = 30)
#'   mlflow_end_run()
#' }
#' @export
mlflow_flush <- function(run_id = NULL, timeout = NULL) {
  if (!is.null(timeout)) check_bound("flush_timeout", check_number(timeout, "timeout"), "timeout")
  run_ids <- if (is.null(run_id)) ls(.globals$loggers %||% emptyenv()) else check_run_id(run_id)
  for (id in run_ids) {
    logger <- background_logger(id)
    if (!is.null(logger)) logger_flush(logger, timeout %||% logger$client$flush_timeout)
  }
  invisible(NULL)
}

check_number <- function(x, field) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x)) abort_invalid(sprintf("%s must be a number", field), field)
  x
}
