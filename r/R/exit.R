# Runs nobody ended are ended when R exits, as MLflow's own fluent API does at interpreter exit:
# a script that never calls mlflow_end_run() still stores what it logged. Each background
# logger is flushed (bounded by the client's flush_timeout), then the run is marked FINISHED,
# or FAILED when an uncaught error stopped the script.
#
# R has no exit hook that knows why it exits. A finalizer with onexit = TRUE on the package's
# environment runs at every normal end of the session (end of script, q(), an uncaught error
# in Rscript); an uncaught error is told apart through options(error =), which R calls only
# for errors nothing caught. Non-interactive R halts after such an error only when no handler
# is set, so ours quits with status 1 itself, as R would have; a handler already set is called
# after ours and keeps deciding what happens. Ctrl-C in Rscript ends there too, so it is FAILED
# (Python says KILLED): telling the interrupt apart needs a global calling handler, which R
# refuses to install while any handler is active. Not detectable: a script ending with
# quit(status = 1) (FINISHED); SIGTERM or kill -9 exit without finalizers (the run stays
# RUNNING and queued points are lost).

watch_exit <- function() {
  if (isTRUE(.globals$exit_watched)) return(invisible())
  .globals$exit_watched <- TRUE
  reg.finalizer(.globals, function(env) end_runs_at_exit(), onexit = TRUE)
  if (!interactive()) {
    previous <- getOption("error")
    options(error = function() {
      .globals$exit_status <- "FAILED"
      if (is.null(previous)) {
        quit(save = "no", status = 1L)
      } else if (is.function(previous)) {
        previous()
      } else {
        eval(previous, globalenv())
      }
    })
  }
  invisible()
}

# Runs still active, and background runs started with a client, in the order they started.
unended_runs <- function() {
  stack <- lapply(active_run_stack(), function(r) r$run_id)
  logged <- as.list(ls(.globals$loggers %||% emptyenv()))
  unique(c(rev(unlist(stack)), unlist(logged)))
}

end_runs_at_exit <- function() {
  status <- .globals$exit_status %||% "FINISHED"
  for (run_id in unended_runs()) {
    logger <- background_logger(run_id)
    client <- logger$client
    if (is.null(client)) {
      client <- Filter(function(r) identical(r$run_id, run_id), active_run_stack())[[1L]]$client
    }
    fresh_curl(client, logger)
    tryCatch(mlflow_end_run(status, run_id = run_id, client = client), error = function(e) {
      message(sprintf("mlflowrest: run %s at exit: %s", run_id, conditionMessage(e)))
    })
  }
  close_journals()
  invisible()
}

# At exit curl's own finalizers may already have freed the pool and handles made before this
# one ran (exit finalizers run newest first): new ones are made, and batches that were in
# flight are queued again (the server stores an identical point once).
fresh_curl <- function(client, logger) {
  if (is.environment(client$handles)) rm(list = ls(client$handles), envir = client$handles)
  if (is.null(logger)) return(invisible())
  logger$pool <- new_logger_pool(logger)
  logger$queue <- c(unname(logger$sending), logger$queue)
  logger$sending <- list()
  invisible()
}
