# External observers, as in CRAN mlflow: objects with a register_tracking_event(event,
# data) function, told of every tracking event. They are kept in the "MLflowObservers"
# option, where CRAN keeps them, so observers written for CRAN work unchanged.

#' Register an external tracking observer
#'
#' `observer$register_tracking_event(event_name, data)` is then called after each
#' `create_experiment`, `create_run`, `log_param`, `log_metric`, `set_tag`, `log_batch`
#' and `set_terminated`. An observer that fails produces a warning; the logging itself
#' has already succeeded.
#'
#' @param observer A list or environment with a `register_tracking_event` function.
#' @return The observers now registered, invisibly.
#' @examples
#' seen <- new.env()
#' mlflow_register_external_observer(list(register_tracking_event = function(event, data) {
#'   assign(event, data, envir = seen)
#' }))
#' options(MLflowObservers = NULL)
#' @export
mlflow_register_external_observer <- function(observer) {
  if (!is.function(observer$register_tracking_event)) {
    abort_invalid("an observer needs a register_tracking_event(event_name, data) function",
                  "observer")
  }
  observers <- c(getOption("MLflowObservers"), list(observer))
  options(MLflowObservers = observers)
  invisible(observers)
}

notify_observers <- function(event_name, data) {
  for (observer in getOption("MLflowObservers")) {
    tryCatch(observer$register_tracking_event(event_name, data), error = function(e) {
      warning(sprintf("tracking observer failed on %s: %s", event_name, conditionMessage(e)),
              call. = FALSE)
    })
  }
}
