# Background metric logging without threads. A logged point goes into preallocated
# vectors; a full buffer (the server's max metrics per log-batch) or one older than the
# flush interval becomes a runs/log-batch request sent on curl's multi interface, and
# every logging call pumps that pool without waiting, so a training loop never waits for
# the server. At most two batches are in flight. A failed batch keeps its points and is
# sent again after the retry backoff: the server stores identical points once, so a
# resend is safe. mlflow_flush() and mlflow_end_run() wait until everything is stored.

max_batches_in_flight <- 2L

new_background_logger <- function(client, run_id, flush_interval = 1) {
  size <- limit("max_metrics_per_batch")
  logger <- new.env(parent = emptyenv())
  logger$client <- client
  logger$run_id <- run_id
  logger$url <- paste0(client$host, mlflow_api_path("runs/log-batch"))
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
  logger$pool <- curl::new_pool(total_con = max_batches_in_flight,
                                host_con = max_batches_in_flight)
  # A script that ends without mlflow_end_run() still sends what it logged.
  reg.finalizer(logger, flush_at_exit, onexit = TRUE)
  logger
}

flush_at_exit <- function(logger) {
  if (pending_points(logger) == 0L) return(invisible())
  tryCatch(logger_flush(logger), error = function(e) {
    message(sprintf("mlflowrest: %d metric points of run %s were not stored: %s",
                    pending_points(logger), logger$run_id, conditionMessage(e)))
  })
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
    logger <- new_background_logger(client, run_id, flush_interval)
    assign(run_id, logger, envir = .globals$loggers)
  }
  invisible(logger)
}

stop_background_logger <- function(run_id) {
  if (!is.null(background_logger(run_id))) rm(list = run_id, envir = .globals$loggers)
}

pending_points <- function(logger) {
  logger$n + sum(vapply(c(logger$queue, logger$sending), function(b) b$points, integer(1)))
}

# One point; the caller has validated key and value.
logger_add <- function(logger, key, value, timestamp, step) {
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
    lapply(split(metric_json, chunk), function(part) list(
      body = batch_envelope(logger$run_id, part, character(), character()),
      points = length(part)))
  }
  for (b in bodies) {
    batch <- new.env(parent = emptyenv())
    batch$body <- b$body
    batch$points <- b$points
    batch$attempts <- 0L     # consecutive failures
    batch$not_before <- 0    # no resend before this time (backoff)
    batch$fatal <- FALSE     # a 4xx that resending cannot fix
    batch$error <- NULL
    logger$queue[[length(logger$queue) + 1L]] <- batch
  }
  logger$n <- 0L
  invisible()
}

# Collects finished requests (their callbacks run here) and starts queued batches, all
# without waiting. A look at the pool costs ~10 us, so a tight loop looks once a
# millisecond (`every`), which still takes answers within a millisecond of arriving.
pump <- function(logger, now = as.numeric(Sys.time()), every = 0.001) {
  if (length(logger$sending) && now - logger$pumped_at >= every) {
    logger$pumped_at <- now
    curl::multi_run(timeout = 0, poll = TRUE, pool = logger$pool)
  }
  while (length(logger$sending) < max_batches_in_flight && length(logger$queue) &&
         logger$queue[[1L]]$not_before <= now) {
    batch <- logger$queue[[1L]]
    logger$queue[[1L]] <- NULL
    send_batch(logger, batch)
  }
  invisible()
}

send_batch <- function(logger, batch) {
  handle <- new_request_handle(logger$client, "POST", batch$body)
  curl::handle_setopt(handle, url = logger$url)
  id <- as.character(logger$next_id <- logger$next_id + 1L)
  logger$sending[[id]] <- batch
  logger$peak_in_flight <- max(logger$peak_in_flight, length(logger$sending))
  curl::multi_add(
    handle, pool = logger$pool,
    done = function(res) batch_answered(logger, id, res),
    fail = function(message) batch_failed(logger, id, transport_error(
      message, "POST", mlflow_api_path("runs/log-batch"), timeout = is_timeout(message)))
  )
}

batch_answered <- function(logger, id, res) {
  if (res$status_code < 300L) {
    logger$sending[[id]] <- NULL
    logger$error <- NULL
    return(invisible())
  }
  details <- error_details(response_text(res$content), res$status_code)
  error <- api_error(res$status_code, details$error_code, details$message, "POST",
                     mlflow_api_path("runs/log-batch"))
  # Retried like the request helper's: a retried status or an overload answer (family-rules.yaml).
  retried <- is_retried_answer(res$status_code, details)
  retry_after <- if (retried) retry_after_header(res$headers)
  batch_failed(logger, id, error, fatal = !retried, retry_after = retry_after)
}

# The batch goes back to the head of the queue with its points, to be sent again after
# the backoff; a 4xx other than 408/429 waits for the next flush, which raises it.
batch_failed <- function(logger, id, error, fatal = FALSE, retry_after = NULL) {
  batch <- logger$sending[[id]]
  logger$sending[[id]] <- NULL
  batch$attempts <- batch$attempts + 1L
  batch$fatal <- fatal
  batch$error <- error
  client <- logger$client
  batch$not_before <- if (fatal) Inf else as.numeric(Sys.time()) +
    retry_wait(min(batch$attempts - 1L, 10L), retry_after, client$backoff_factor, client$backoff_jitter)
  logger$queue <- c(list(batch), logger$queue)
  logger$error <- error
  invisible()
}

# Sends everything buffered and waits until the server has stored it. Raises the last
# failure when a batch cannot be stored: a 4xx other than 408/429, or more consecutive
# failures than the client's max_retries. Unsent points stay buffered for the next call.
logger_flush <- function(logger) {
  cut_batch(logger)
  # A flush gives every waiting batch a fresh retry budget, starting now.
  for (batch in c(logger$queue, logger$sending)) {
    batch$attempts <- 0L
    batch$not_before <- 0
    batch$fatal <- FALSE
  }
  repeat {
    # Checked before the pump, which would send an exhausted batch again at once.
    for (batch in logger$queue) {
      if (batch$fatal || batch$attempts > logger$client$max_retries) give_up(logger, batch)
    }
    now <- as.numeric(Sys.time())
    pump(logger, now, every = 0)
    if (!length(logger$queue) && !length(logger$sending)) return(invisible())
    if (length(logger$sending)) {
      curl::multi_run(timeout = 0.5, poll = TRUE, pool = logger$pool)
    } else {
      Sys.sleep(min(1, max(0, logger$queue[[1L]]$not_before - now)))
    }
  }
}

give_up <- function(logger, batch) {
  error <- batch$error
  error$attempts <- batch$attempts
  error$pending_points <- pending_points(logger)
  error$message <- sprintf(
    "%s (%d metric points of run %s not stored yet; kept for the next mlflow_flush())",
    error$message, error$pending_points, logger$run_id)
  stop(error)
}

#' Wait until background-logged metrics are stored
#'
#' Runs started with `mlflow_start_run(background = TRUE)` buffer their metrics and send
#' them in batches while the loop goes on. `mlflow_flush()` sends what is buffered and
#' waits until the server has stored all of it. [mlflow_end_run()] flushes before ending
#' the run, and at the end of the R session a run's unsent points are still sent; read
#' metric history after a flush to see every point.
#'
#' @param run_id The run; all runs with a background logger when `NULL`.
#' @return `NULL`, invisibly. When the points cannot be stored (an answer such as 400 or
#'   404, or more failures in a row than `MLFLOW_HTTP_REQUEST_MAX_RETRIES`) it raises the
#'   last failure as the usual `mlflowrest_error` condition, with `pending_points` set;
#'   the points stay buffered and a later flush tries again.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   mlflow_start_run(background = TRUE)
#'   for (step in 1:1000) mlflow_log_metric("loss", 1 / step, step = step)
#'   mlflow_flush()
#'   mlflow_end_run()
#' }
#' @export
mlflow_flush <- function(run_id = NULL) {
  run_ids <- if (is.null(run_id)) ls(.globals$loggers %||% emptyenv()) else check_run_id(run_id)
  for (id in run_ids) {
    logger <- background_logger(id)
    if (!is.null(logger)) logger_flush(logger)
  }
  invisible(NULL)
}
