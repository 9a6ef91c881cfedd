# How many log-batch requests this process keeps in flight to one server: the write window of
# family-rules.yaml `congestion`, the rule Python and Java follow. An overload answer
# (rules_overload: the server's pool timeout, a locked database, 503/504) multiplies the window
# by decrease_factor, not below min_window; every stored batch adds increase / window, so it
# climbs back by `increase` per window's worth of successes, up to its maximum (AIMD).
# R has no threads: what shares a window is every background logger and log_batch call of
# the session writing to that server. Processes share nothing; each adapts to its own answers.

write_window <- function(client) {
  windows <- .globals$windows %||% (.globals$windows <- new.env(parent = emptyenv()))
  per <- max(1L, as.integer(client$batch_concurrency %||% 1L))
  key <- paste(client$host, per)
  window <- windows[[key]]
  if (is.null(window)) {
    window <- new.env(parent = emptyenv())
    # Under the server's pool, however many requests per call (family-rules.yaml, window_cap).
    window$max <- min(rules_congestion$window_cap, per * rules_congestion$max_window_per_batch_concurrency)
    window$size <- min(window$max, per * rules_congestion$initial_window_per_batch_concurrency)
    window$decreases <- 0L
    assign(key, window, envir = windows)
  }
  window
}

window_overloaded <- function(window) {
  window$size <- max(rules_congestion$min_window, window$size * rules_congestion$decrease_factor)
  window$decreases <- window$decreases + 1L
  invisible(window)
}

window_stored <- function(window) {
  window$size <- min(window$max, window$size + rules_congestion$increase / window$size)
  invisible(window)
}

# Batches in flight under a window, counted from the loggers themselves (a stopped logger
# cannot leave a count behind).
window_in_flight <- function(window) {
  loggers <- .globals$loggers
  if (is.null(loggers)) return(0L)
  sum(vapply(ls(loggers), function(id) {
    logger <- loggers[[id]]
    if (identical(logger$window, window)) length(logger$sending) else 0L
  }, integer(1)))
}

window_has_room <- function(window) window_in_flight(window) < floor(window$size)
