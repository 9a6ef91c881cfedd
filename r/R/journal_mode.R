# Journal and offline modes (docs/journal.md): every write the request helper sends is first a
# `call` record, then `done` or `failed`; offline, nothing is sent and creates answer with local
# ids. Reads are never recorded; offline, the few that are cheap are served from what this
# process recorded, the rest raise mlflowrest_journal_error.

# A setting spelt as one of its enum values (family-rules.yaml, config.variables), any case.
env_enum <- function(setting) {
  var <- rules_config_variables[[setting]]
  value <- tolower(trimws(Sys.getenv(var$env, "")))
  if (!nzchar(value)) return(var$default)
  if (!value %in% var$values) {
    abort_invalid(sprintf("%s='%s' is not one of %s", var$env, value, paste(var$values, collapse = "/")),
                  var$env, paste(var$values, collapse = "/"))
  }
  value
}

# `offline:DIR` or `offline:///abs/dir` -> DIR; NULL for any other URI.
offline_dir <- function(uri) {
  prefix <- paste0(rules_journal$offline_scheme, ":")
  if (is.null(uri) || !startsWith(uri, prefix)) return(NULL)
  dir <- sub("^//", "", substring(uri, nchar(prefix) + 1L))
  if (!nzchar(dir)) abort_invalid(sprintf("%s needs a directory: offline:/path/to/dir", uri), "tracking_uri")
  dir
}

# The client's journal settings; `journal` is the writer when a journal is kept.
journal_settings <- function(uri, shown_uri) {
  offline <- offline_dir(uri)
  dir <- offline %||% non_empty(Sys.getenv(rules_config_variables$journal_dir$env))
  settings <- list(
    journal_dir = dir,
    journal_fsync = env_enum("journal_fsync"),
    journal_fsync_interval = env_setting("journal_fsync_interval"),
    journal_on_unreachable = env_enum("journal_on_unreachable"),
    offline = !is.null(offline)
  )
  settings$journal <- if (!is.null(dir)) {
    journal_writer(dir, if (settings$offline) "offline" else "journal", if (settings$offline) NULL else shown_uri,
                   settings$journal_fsync, settings$journal_fsync_interval)
  }
  settings
}

# POSTs that are reads (journal.read_prefixes), and the artifact stores' own calls: credentials,
# signed URLs and multipart uploads belong to a transfer, which is journaled as an artifact.
not_journaled <- paste0("^(", paste(c(rules_journal$read_prefixes, "databricks", "createPresigned", "testWebhook"),
                                    collapse = "|"), ")|MultipartUpload$")

# A write of the spec (POST/PATCH/DELETE/PUT with a JSON body) that is not a read in disguise.
journaled_write <- function(operation, method) {
  method %in% c("POST", "PATCH", "DELETE", "PUT") && !grepl(not_journaled, operation) &&
    identical(rules_operations[[operation]]$body, "json")
}

# Called by send_operation() when the client keeps a journal: NULL lets a read (journal mode)
# go its usual way; otherwise the answer.
journal_request <- function(client, operation, method, path, query, body, before_retry) {
  w <- client$journal
  if (!journaled_write(operation, method)) {
    if (isTRUE(client$offline)) return(offline_read(w, method, path, query))
    return(NULL)
  }
  binds <- NULL
  if (operation %in% c("createRun", "createExperiment") && is.list(body) && !inherits(body, "json")) {
    local <- new_local_id()
    if (operation == "createRun") {
      body$tags <- c(body$tags, list(list(key = rules_idempotency_key_tag, value = local)))
      binds <- list(field = "run.info.run_id", local = local)
    } else {
      binds <- list(field = "experiment_id", local = local)
    }
  }
  body_text <- if (is.null(body)) "{}" else json_body(body)
  request_id <- body_request_id(body) %||% random_hex()
  seq <- journal_call(w, operation, method, path, body_text, request_id, binds)
  # Offline, or naming an id whose create never reached the server: left for sync.
  if (isTRUE(client$offline) || names_local_id(body_text)) {
    return(local_answer(w, operation, body, binds))
  }
  plain <- client
  plain$journal <- NULL
  answer <- tryCatch(
    mlflow_request(plain, method, path, query = query, body = json_text(body_text), before_retry = before_retry),
    mlflowrest_error = function(e) e)
  if (!inherits(answer, "mlflowrest_error")) {
    journal_done(w, seq)
    if (!is.null(binds)) {
      remote <- if (binds$field == "experiment_id") answer$experiment_id else answer$run$info$run_id
      if (!is.null(remote)) journal_bind(w, seq, binds$local, remote)
    }
    return(answer)
  }
  if (unreachable(answer)) {
    if (identical(client$journal_on_unreachable, "keep")) {
      note_unreachable(w, answer)
      return(local_answer(w, operation, body, binds))
    }
    stop(answer)
  }
  if (!is.null(answer$http_status)) journal_failed(w, seq, answer$http_status, answer$error_code, answer$server_message)
  stop(answer)
}

# An id field (rules_journal$id_fields) of the JSON body holding a local id.
names_local_id <- function(body_text) {
  if (!grepl(rules_journal$local_id_prefix, body_text, fixed = TRUE)) return(FALSE)
  local <- paste0('"', rules_journal$local_id_prefix, "[0-9a-f]{32}\"")
  fields <- paste(rules_journal$id_fields, collapse = "|")
  grepl(sprintf('"(%s)"\\s*:\\s*(\\[[^]]*)?%s', fields, local), body_text)
}

# The server is away (no answer, or a retried status after the retries ran out), not refusing.
unreachable <- function(e) {
  inherits(e, c("mlflowrest_transport_error", "mlflowrest_server_error", "mlflowrest_rate_limited"))
}

note_unreachable <- function(w, e) {
  if (!isTRUE(w$warned)) {
    w$warned <- TRUE
    warning(sprintf("mlflowrest: the server is unreachable (%s); calls are kept in the journal %s for mlflow_sync()",
                    conditionMessage(e), w$path), call. = FALSE)
  }
}

body_request_id <- function(body) {
  if (!is.list(body) || inherits(body, "json")) return(NULL)
  for (t in body$tags) if (identical(t$key, rules_request_id_tag)) return(t$value)
  NULL
}

# What a server would have answered, with local ids; the offline reads below serve from it.
local_answer <- function(w, operation, body, binds) {
  if (identical(operation, "createExperiment")) {
    assign(paste0("name:", body$name), binds$local, envir = w$offline)
    assign(binds$local, list(experiment_id = binds$local, name = body$name, lifecycle_stage = "active",
                             tags = body$tags %||% list()), envir = w$offline)
    return(list(experiment_id = binds$local))
  }
  if (identical(operation, "createRun") && !is.null(binds)) {
    named <- Filter(function(t) identical(t$key, "mlflow.runName"), body$tags)
    run_name <- body$run_name %||% if (length(named)) named[[1L]]$value else ""
    run <- list(info = list(run_id = binds$local, run_uuid = binds$local, experiment_id = body$experiment_id,
                            run_name = run_name, user_id = body$user_id %||% "", status = "RUNNING",
                            start_time = body$start_time, artifact_uri = "", lifecycle_stage = "active"),
                data = list(tags = body$tags %||% list()))
    assign(binds$local, run, envir = w$offline)
    return(list(run = run))
  }
  if (identical(operation, "updateRun") && exists(body$run_id %||% "", envir = w$offline, inherits = FALSE)) {
    run <- get(body$run_id, envir = w$offline)
    for (field in c("status", "end_time", "run_name")) if (!is.null(body[[field]])) run$info[[field]] <- body[[field]]
    assign(body$run_id, run, envir = w$offline)
    return(list(run_info = run$info))
  }
  structure(list(), names = character())
}

# Offline reads: an experiment or run this process created (by id, an experiment by name);
# anything else needs the server.
offline_read <- function(w, method, path, query) {
  id <- query$run_id %||% query$experiment_id
  name <- query$experiment_name
  known <- function(key) exists(key, envir = w$offline, inherits = FALSE)
  recorded <- function(key) get(key, envir = w$offline)
  if (grepl("/experiments/get-by-name$", path) && !is.null(name)) {
    if (known(paste0("name:", name))) return(list(experiment = recorded(recorded(paste0("name:", name)))))
    abort_api_error(404L, "RESOURCE_DOES_NOT_EXIST", sprintf("no experiment '%s' recorded offline", name), method, path)
  }
  if (grepl("/experiments/get$", path) && !is.null(id) && known(id)) return(list(experiment = recorded(id)))
  if (grepl("/runs/get$", path) && !is.null(id) && known(id)) return(list(run = recorded(id)))
  stop(journal_error(sprintf(
    "offline mode (journal %s): %s %s reads from a server; run mlflow_sync() on the directory, then read there",
    w$dir, method, path), w$dir))
}

# mlflow_end_run()'s answer with a journal: the run as recorded when its id is local or calls
# are left (the server may be away: no read waits for it), with attribute `left_for_sync`.
ended_run <- function(run_id, client) {
  w <- client$journal
  left <- journal_left(w)
  if (left > 0L && !isTRUE(client$offline)) {
    warning(sprintf("mlflowrest: run %s ended locally; %d calls are left in the journal %s for mlflow_sync()",
                    run_id, left, w$dir), call. = FALSE)
  }
  run <- if (exists(run_id, envir = w$offline, inherits = FALSE)) {
    as_mlflow_run(get(run_id, envir = w$offline), client)
  } else if (left == 0L) {
    mlflow_get_run(run_id, client = client)
  } else {
    tibble::new_tibble(list(run_id = run_id), nrow = 1L, class = "mlflow_run")
  }
  attr(run, "left_for_sync") <- left
  run
}

# ---- the background logger's batches in journal mode -----------------------------------------

# A batch stored: its call is done, and so is the call it was cut from once every part is.
journal_batch_done <- function(logger, batch, status) {
  journal_done(logger$journal, batch$seq, status)
  parent <- batch$parent
  while (!is.null(parent)) {
    parent$open_parts <- parent$open_parts - 1L
    if (parent$open_parts > 0L) break
    journal_done(logger$journal, parent$seq, status)
    parent <- parent$parent
  }
}

# Journal kept and a batch timed out: a server slower than the timeout may never store it whole,
# so it goes again as two halves, calls of their own (down to `min_points`); the timed-out call
# is done when both are.
split_slow_batch <- function(logger, batch, error, min_points = 100L) {
  if (!isTRUE(logger$keep) || is.null(batch$seq) || !inherits(error, "mlflowrest_timeout") ||
      batch$points < 2L * min_points) {
    return(FALSE)
  }
  # A timeout is the server's load too: fewer requests at once (the write window), smaller ones.
  window_overloaded(logger$window)
  middle <- batch$points %/% 2L
  halves <- list(sub_batch(logger, batch, seq_len(middle)), sub_batch(logger, batch, (middle + 1L):batch$points))
  for (half in halves) half$parent <- batch
  batch$open_parts <- 2L
  logger$queue <- c(halves, logger$queue)
  logger$error <- error
  TRUE
}
