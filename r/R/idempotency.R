# Idempotency keys for runs, the family's rule (docs/design.md, "Exactly-once runs"): the key is
# a run tag; a start first looks for an active run carrying it in the experiment; when there is
# none it creates one and settles a race with concurrent starters by keeping the oldest run with
# the key, by (start_time, run_id). A starter whose run is not the oldest deletes it and takes the
# oldest. It decides once the set of runs with the key stopped growing for one settle interval
# (twice its own create's duration, bounded), so concurrent creates still in flight are seen first.

idempotency_key_tag <- rules_idempotency_key_tag # openapi/family-rules.yaml, idempotency
idempotency_key_max <- rules_idempotency_max_key_length

check_idempotency_key <- function(key) {
  ok <- is.character(key) && length(key) == 1L && !is.na(key) && nzchar(key) &&
    nchar(key) <= idempotency_key_max && !grepl("['\"\\\\[:cntrl:]]", key)
  if (!ok) {
    abort_invalid(sprintf(
      "idempotency_key must be one string of 1-%d characters without quotes, backslashes or control characters",
      idempotency_key_max), field = "idempotency_key", limit = sprintf("max_length=%d", idempotency_key_max))
  }
  key
}

runs_with_key <- function(client, experiment_id, key) {
  api_runs_search(client,
    experiment_ids = list(experiment_id),
    filter = sprintf("tags.`%s` = '%s'", idempotency_key_tag, key),
    run_view_type = "ACTIVE_ONLY", max_results = 1000
  )$runs
}

oldest_run_with_key <- function(client, experiment_id, key) {
  runs <- runs_with_key(client, experiment_id, key)
  if (!length(runs)) return(NULL)
  start <- vapply(runs, function(r) as.numeric(r$info$start_time %||% 0), numeric(1))
  ids <- vapply(runs, function(r) r$info$run_id, character(1))
  runs[[order(start, ids)[1]]]
}

# Returns list(run = <wire run>, resumed = , previous_status = ).
start_idempotent <- function(client, experiment_id, key, create) {
  resume <- function(run) {
    status <- run$info$status
    if (!identical(status, "FINISHED")) {
      api_runs_update(client, run_id = run$info$run_id, status = "RUNNING")
      run <- api_runs_get(client, run_id = run$info$run_id)$run
    }
    list(run = run, resumed = TRUE, previous_status = status)
  }
  existing <- oldest_run_with_key(client, experiment_id, key)
  if (!is.null(existing)) return(resume(existing))
  began <- Sys.time()
  mine <- create()
  settle <- min(max(2 * as.numeric(Sys.time() - began, units = "secs"), rules_idempotency_settle_ms[["min"]] / 1000),
                rules_idempotency_settle_ms[["max"]] / 1000)
  # Decide once no new run with the key appeared for one settle interval: creates queued on a busy
  # server commit one by one, and a decision taken mid-queue could pick a run that a
  # later-committed, older one outranks. Bounded: at most 10 waits.
  seen <- character()
  for (round in 1:10) {
    ids <- vapply(runs_with_key(client, experiment_id, key), function(r) r$info$run_id, character(1))
    if (length(seen) && all(ids %in% seen)) break
    seen <- union(seen, ids)
    Sys.sleep(settle)
  }
  for (round in 1:10) {
    winner <- oldest_run_with_key(client, experiment_id, key)
    if (is.null(winner) || identical(winner$info$run_id, mine$info$run_id)) break
    # Its starter may have stepped down since the search: only an active run wins.
    now <- api_runs_get(client, run_id = winner$info$run_id)$run
    if (identical(now$info$lifecycle_stage, "active")) {
      api_runs_delete(client, run_id = mine$info$run_id)
      return(resume(winner))
    }
    Sys.sleep(settle)
  }
  list(run = mine, resumed = FALSE, previous_status = NULL)
}
