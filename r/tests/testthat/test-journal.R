# The journal (R/journal.R, journal_mode.R, sync.R): the writer and reader against the format's
# rules (torn last line, corrupt line, disk full), journal and offline modes, and mlflow_sync()
# against a small tracking stub that keeps what it was sent.

# A tracking server that stores runs, params, tags and metric points (a point once, as MLflow
# does); /down/1 makes every tracking call answer 503 until /down/0.
journal_stub <- function(.local_envir = parent.frame()) {
  app <- webfakes::new_app()
  app$locals$runs <- list()
  app$locals$points <- character()
  app$locals$params <- character()
  app$locals$calls <- 0
  body_of <- function(req) jsonlite::fromJSON(rawToChar(req$.body), simplifyVector = FALSE)
  empty <- structure(list(), names = character())
  app$use(function(req, res) {
    if (isTRUE(req$app$locals$down) && startsWith(req$path, "/api/")) {
      return(res$set_status(503L)$send_json(list(error_code = "TEMPORARILY_UNAVAILABLE", message = "away"),
                                            auto_unbox = TRUE))
    }
    if (startsWith(req$path, "/api/")) req$app$locals$calls <- req$app$locals$calls + 1
    "next"
  })
  app$get("/down/:on", function(req, res) {
    req$app$locals$down <- req$params$on == "1"
    res$send_json(list(ok = TRUE), auto_unbox = TRUE)
  })
  app$get("/state", function(req, res) {
    res$send_json(list(runs = req$app$locals$runs, points = req$app$locals$points,
                       params = req$app$locals$params, calls = req$app$locals$calls), auto_unbox = TRUE)
  })
  app$post("/api/2.0/mlflow/experiments/create", function(req, res) {
    res$set_status(400L)$send_json(list(error_code = "RESOURCE_ALREADY_EXISTS", message = "exists"),
                                   auto_unbox = TRUE)
  })
  app$get("/api/2.0/mlflow/experiments/get-by-name", function(req, res) {
    res$send_json(list(experiment = list(experiment_id = "5", name = req$query$experiment_name)), auto_unbox = TRUE)
  })
  app$post("/api/2.0/mlflow/runs/create", function(req, res) {
    body <- body_of(req)
    id <- sprintf("run%d", length(req$app$locals$runs) + 1L)
    run <- list(info = list(run_id = id, experiment_id = body$experiment_id, status = "RUNNING"),
                data = list(tags = body$tags))
    req$app$locals$runs[[id]] <- run
    res$send_json(list(run = run), auto_unbox = TRUE)
  })
  app$post("/api/2.0/mlflow/runs/search", function(req, res) {
    wanted <- sub(".*= '([^']*)'.*", "\\1", body_of(req)$filter)
    found <- Filter(function(run) any(vapply(run$data$tags, function(t) identical(t$value, wanted), TRUE)),
                    req$app$locals$runs)
    res$send_json(list(runs = unname(found)), auto_unbox = TRUE)
  })
  app$get("/api/2.0/mlflow/runs/get", function(req, res) {
    res$send_json(list(run = req$app$locals$runs[[req$query$run_id]]), auto_unbox = TRUE)
  })
  app$post("/api/2.0/mlflow/runs/update", function(req, res) {
    body <- body_of(req)
    req$app$locals$runs[[body$run_id]]$info$status <- body$status
    res$send_json(list(run_info = req$app$locals$runs[[body$run_id]]$info), auto_unbox = TRUE)
  })
  app$post("/api/2.0/mlflow/runs/log-parameter", function(req, res) {
    body <- body_of(req)
    req$app$locals$params <- c(req$app$locals$params, paste(body$run_id, body$key, body$value))
    res$send_json(empty)
  })
  app$post("/api/2.0/mlflow/runs/set-tag", function(req, res) res$send_json(empty))
  app$post("/api/2.0/mlflow/runs/log-batch", function(req, res) {
    body <- body_of(req)
    points <- vapply(body$metrics, function(m) {
      paste(body$run_id, m$key, m$step, sprintf("%.0f", m$timestamp), sprintf("%.17g", m$value))
    }, "")
    req$app$locals$points <- union(req$app$locals$points, points)
    res$send_json(empty)
  })
  webfakes::local_app_process(app, .local_envir = .local_envir)
}

stub_state <- function(web) jsonlite::fromJSON(httr_get(web$url("/state")), simplifyVector = FALSE)
httr_get <- function(url) rawToChar(curl::curl_fetch_memory(url)$content)

local_journal_dir <- function(.local_envir = parent.frame()) {
  dir <- tempfile("journal-")
  withr::defer({
    # Writers of this test are closed and forgotten, so later tests start fresh.
    for (key in ls(.globals$journals %||% emptyenv())) {
      w <- .globals$journals[[key]]
      if (!is.null(w$con) && !isTRUE(w$closed)) try(close(w$con), silent = TRUE)
      rm(list = key, envir = .globals$journals)
    }
    unlink(dir, recursive = TRUE)
  }, envir = .local_envir)
  dir
}

journal_files <- function(dir) list.files(dir, pattern = "^journal-.*\\.jsonl$", full.names = TRUE)

records_of <- function(dir, type = NULL) {
  records <- unlist(lapply(journal_files(dir), function(f) journal_read(f)$records), recursive = FALSE)
  if (is.null(type)) records else Filter(function(r) identical(r$type, type), records)
}

test_that("records are one JSON line each, read back whole; a torn last line is ignored, then cut by the next writer", {
  dir <- local_journal_dir()
  w <- journal_writer(dir, "journal", "http://h")
  seq <- journal_call(w, "logParam", "POST", "/api/2.0/mlflow/runs/log-parameter",
                      '{"run_id":"r1","key":"a","value":"1"}', "rid1")
  journal_done(w, seq)
  read <- journal_read(w$path)
  expect_equal(vapply(read$records, function(r) r$type, ""), c("open", "call", "done"))
  expect_equal(read$records[[1]]$sdk, "r")
  expect_equal(read$records[[2]]$body$value, "1")
  expect_false(read$torn)
  # A kill -9 mid-write: half a record at the end.
  whole <- file.size(w$path)
  cat('{"type":"call","seq":2,"requ', file = w$path, append = TRUE)
  read <- journal_read(w$path)
  expect_true(read$torn)
  expect_length(read$records, 3L)
  expect_equal(read$valid_bytes, whole)
  # A last full line that does not parse is torn too.
  writeLines(c(readLines(w$path, warn = FALSE)[1:3], "{not json"), w$path)
  expect_true(journal_read(w$path)$torn)
  sw <- sync_writer(journal_read(w$path), new.env())
  journal_done(sw, 9L)
  close(sw$con)
  after <- journal_read(w$path)
  expect_false(after$torn)
  expect_equal(vapply(after$records, function(r) r$type, ""), c("open", "call", "done", "done"))
})

test_that("a corrupt line before the last is a journal error naming the file and the line", {
  dir <- local_journal_dir()
  dir.create(dir)
  path <- file.path(dir, paste0("journal-", strrep("a", 32), ".jsonl"))
  writeLines(c('{"type":"open"}', "garbage", '{"type":"close","time_ms":1}'), path)
  err <- expect_error(journal_read(path), class = "mlflowrest_journal_error")
  expect_equal(err$line, 2L)
  expect_equal(err$file, path)
  expect_match(conditionMessage(err), "line 2", fixed = TRUE)
})

test_that("disk full: a typed error naming the journal file, the call not sent, earlier records intact", {
  web <- journal_stub()
  dir <- local_journal_dir()
  client <- test_client(web$url(), MLFLOWREST_JOURNAL_DIR = dir)
  mlflow_log_param("a", 1, run_id = "run1", client = client)
  w <- client$journal
  before <- journal_read(w$path)$records
  # The next write goes to /dev/full (ENOSPC), as a full disk would.
  close(w$con)
  w$con <- suppressWarnings(file("/dev/full", open = "ab"))
  err <- expect_error(suppressWarnings(mlflow_log_param("b", 2, run_id = "run1", client = client)),
                      class = "mlflowrest_journal_error")
  expect_match(conditionMessage(err), w$path, fixed = TRUE)
  expect_equal(err$file, w$path)
  expect_equal(journal_read(w$path)$records, before)
  expect_equal(unlist(stub_state(web)$params), "run1 a 1")
  # The writer stays broken: nothing is appended behind a failed record.
  expect_error(mlflow_log_param("c", 3, run_id = "run1", client = client), class = "mlflowrest_journal_error")
  close(w$con)
  w$con <- NULL
})

test_that("journal mode records every write before sending it and marks it done after", {
  web <- journal_stub()
  dir <- local_journal_dir()
  client <- test_client(web$url(), MLFLOWREST_JOURNAL_DIR = dir)
  run <- mlflow_start_run(experiment_id = "5", client = client, background = TRUE)
  mlflow_log_param("alpha", 0.5, run_id = run$run_id, client = client)
  for (i in 0:1499) {
    mlflow_log_metric("loss", i, timestamp = 1700000000000 + i, step = i, run_id = run$run_id, client = client)
  }
  ended <- mlflow_end_run(run_id = run$run_id, client = client)
  expect_equal(attr(ended, "left_for_sync"), 0L)
  calls <- records_of(dir, "call")
  expect_equal(vapply(calls, function(r) r$operation, ""),
               c("createRun", "logParam", "logBatch", "logBatch", "updateRun"))
  expect_equal(sort(vapply(records_of(dir, "done"), function(r) r$seq, 1L)), vapply(calls, function(r) r$seq, 1L))
  bind <- records_of(dir, "bind")[[1]]
  expect_equal(bind$remote, run$run_id)
  expect_match(bind$local, "^local-[0-9a-f]{32}$")
  expect_true(any(vapply(calls[[1]]$body$tags, function(t) identical(t$value, bind$local), TRUE)))
  expect_length(stub_state(web)$points, 1500L)
})

test_that("server away beyond the retry budget: logging goes on, end_run is bounded, sync sends the rest once", {
  web <- journal_stub()
  dir <- local_journal_dir()
  client <- test_client(web$url(), MLFLOWREST_JOURNAL_DIR = dir, MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1",
                        MLFLOWREST_FLUSH_TIMEOUT = "1")
  run <- mlflow_start_run(experiment_id = "5", client = client, background = TRUE)
  httr_get(web$url("/down/1"))
  expect_warning(mlflow_log_param("alpha", 0.5, run_id = run$run_id, client = client), "unreachable")
  for (i in 0:2499) {
    mlflow_log_metric("loss", i, timestamp = 1700000000000 + i, step = i, run_id = run$run_id, client = client)
  }
  expect_warning(ended <- mlflow_end_run(run_id = run$run_id, client = client), "left in the journal")
  expect_gt(attr(ended, "left_for_sync"), 0L)
  expect_length(stub_state(web)$points, 0L)
  httr_get(web$url("/down/0"))
  journal_close(client$journal)
  first <- capture.output(report <- mlflow_sync(dir, tracking_uri = web$url()))
  expect_equal(report$status, 0L)
  expect_equal(report$failed, 0L)
  state <- stub_state(web)
  expect_length(state$points, 2500L)
  expect_equal(unlist(state$params), paste(run$run_id, "alpha 0.5"))
  expect_equal(state$runs[[run$run_id]]$info$status, "FINISHED")
  # Twice: nothing left to send.
  calls <- state$calls
  capture.output(again <- mlflow_sync(dir, tracking_uri = web$url()))
  expect_equal(again$sent, 0L)
  expect_equal(stub_state(web)$calls, calls)
})

test_that("with journal_on_unreachable = raise the error reaches the caller", {
  dir <- local_journal_dir()
  client <- test_client(closed_port_url(), MLFLOWREST_JOURNAL_DIR = dir, MLFLOWREST_JOURNAL_ON_UNREACHABLE = "raise",
                        MLFLOW_HTTP_REQUEST_MAX_RETRIES = "0")
  expect_error(mlflow_log_param("a", 1, run_id = "run1", client = client), class = "mlflowrest_transport_error")
  expect_length(records_of(dir, "call"), 1L)
  expect_length(records_of(dir, "done"), 0L)
})

test_that("offline: local ids, nothing contacts a server, reads of offline entities are served or refused", {
  dir <- local_journal_dir()
  withr::local_envvar(MLFLOW_TRACKING_URI = paste0("offline:", dir), MLFLOW_EXPERIMENT_ID = NA,
                      MLFLOW_EXPERIMENT_NAME = NA)
  withr::defer(.globals$active_experiment_id <- NULL)
  # A URI set by mlflow_set_tracking_uri() in an earlier test wins over the variable (as in CRAN's
  # package): clear it for this test, and put it back after.
  set_uri <- .globals$tracking_uri
  .globals$tracking_uri <- NULL
  withr::defer(.globals$tracking_uri <- set_uri)
  experiment_id <- mlflow_set_experiment("offline-exp")
  expect_match(experiment_id, "^local-[0-9a-f]{32}$")
  run <- mlflow_start_run(tags = list(mlflow.runName = "r1"))
  expect_match(run$run_id, "^local-[0-9a-f]{32}$")
  mlflow_log_param("alpha", 0.5)
  mlflow_log_metric("loss", 0.1, step = 1)
  file <- tempfile(fileext = ".txt")
  writeLines("hello", file)
  mlflow_log_artifact(file, artifact_path = "notes")
  expect_equal(mlflow_get_run(run$run_id)$run_id, run$run_id)
  expect_error(mlflow_search_runs(), class = "mlflowrest_journal_error")
  ended <- mlflow_end_run()
  expect_equal(ended$status, "FINISHED")
  create <- records_of(dir, "call")[[2]]
  expect_equal(create$operation, "createRun")
  expect_equal(create$binds, list(field = "run.info.run_id", local = run$run_id))
  expect_equal(create$body$experiment_id, experiment_id)
  carries_key <- function(t) identical(t$key, rules_idempotency_key_tag) && identical(t$value, run$run_id)
  expect_true(any(vapply(create$body$tags, carries_key, TRUE)))
  artifact <- records_of(dir, "artifact")[[1]]
  expect_equal(readLines(file.path(dir, artifact$file)), "hello")
  expect_equal(artifact$artifact_path, "notes")
  expect_equal(records_of(dir, "open")[[1]]$mode, "offline")
})

test_that("sync binds local ids, finds a run an interrupted sync made, and skips live files until asked", {
  web <- journal_stub()
  dir <- local_journal_dir()
  dir.create(dir)
  local_exp <- paste0("local-", strrep("e", 32))
  local_run <- paste0("local-", strrep("f", 32))
  # As another SDK would write it: other key order, an experiment create and a run in it.
  lines <- c(
    sprintf(paste0('{"type":"open","format":"mlflowrest-journal","version":1,"session":"%s","sdk":"java",',
                   '"sdk_version":"1","pid":%d,"host":"%s","created_ms":1,"mode":"offline","tracking_uri":null}'),
            strrep("b", 32), Sys.getpid(), Sys.info()[["nodename"]]),
    sprintf(paste0('{"seq":1,"type":"call","operation":"createExperiment","method":"POST",',
                   '"path":"/api/2.0/mlflow/experiments/create","request_id":"q1","time_ms":1,"body":{"name":"e"},',
                   '"binds":{"field":"experiment_id","local":"%s"}}'), local_exp),
    sprintf(paste0('{"type":"call","seq":2,"request_id":"q2","operation":"createRun","method":"POST",',
                   '"path":"/api/2.0/mlflow/runs/create","time_ms":1,"body":{"experiment_id":"%s","start_time":1,',
                   '"tags":[{"key":"mlflowrest.idempotency_key","value":"%s"}]},',
                   '"binds":{"field":"run.info.run_id","local":"%s"}}'), local_exp, local_run, local_run),
    sprintf(paste0('{"type":"call","seq":3,"request_id":"q3","operation":"logBatch","method":"POST",',
                   '"path":"/api/2.0/mlflow/runs/log-batch","time_ms":1,"body":{"run_id":"%s",',
                   '"metrics":[{"key":"m","value":0.30000000000000004,"timestamp":1700000000000,"step":0}]}}'),
            local_run)
  )
  path <- file.path(dir, paste0("journal-", strrep("b", 32), ".jsonl"))
  writeLines(lines, path)
  # Its writer (this process) is alive and never closed the file: skipped.
  capture.output(live <- mlflow_sync(dir, tracking_uri = web$url()))
  expect_equal(live$skipped, 1L)
  expect_equal(live$sent, 0L)
  # A sync that died after creating the run: the run with the key is found, not made again.
  client <- test_client(web$url())
  mlflow_request(client, "POST", "/api/2.0/mlflow/runs/create", body = list(
    experiment_id = "5", tags = list(list(key = rules_idempotency_key_tag, value = local_run))))
  capture.output(report <- mlflow_sync(dir, tracking_uri = web$url(), include_live = TRUE))
  expect_equal(report$status, 0L)
  expect_equal(report$already_present, 2L)  # the experiment (already exists) and the run
  expect_equal(report$sent, 1L)
  state <- stub_state(web)
  expect_length(state$runs, 1L)
  expect_equal(unlist(state$points), "run1 m 0 1700000000000 0.30000000000000004")
  binds <- records_of(dir, "bind")
  expect_equal(vapply(binds, function(b) b$remote, ""), c("5", "run1"))
})

test_that("one sync at a time: a live lock refuses, a dead owner's lock is taken over", {
  web <- journal_stub()
  dir <- local_journal_dir()
  dir.create(file.path(dir, "sync.lock"), recursive = TRUE)
  owner <- file.path(dir, "sync.lock", "owner.json")
  writeLines(sprintf('{"pid":%d,"host":"%s","started_ms":1}', Sys.getpid(), Sys.info()[["nodename"]]), owner)
  expect_error(mlflow_sync(dir, tracking_uri = web$url()), class = "mlflowrest_journal_error")
  writeLines(sprintf('{"pid":%d,"host":"%s","started_ms":1}', 2147483646L, Sys.info()[["nodename"]]), owner)
  capture.output(report <- mlflow_sync(dir, tracking_uri = web$url()))
  expect_equal(report$status, 0L)
  expect_false(dir.exists(file.path(dir, "sync.lock")))
})

test_that("journal settings are read from the environment, enum typos refused by name", {
  client <- test_client("http://127.0.0.1:9", MLFLOWREST_JOURNAL_FSYNC = "Always",
                        MLFLOWREST_JOURNAL_ON_UNREACHABLE = "raise")
  expect_equal(client$journal_fsync, "always")
  expect_equal(client$journal_on_unreachable, "raise")
  expect_null(client$journal)
  err <- expect_error(test_client("http://127.0.0.1:9", MLFLOWREST_JOURNAL_FSYNC = "sometimes"),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "MLFLOWREST_JOURNAL_FSYNC")
  expect_equal(mlflow_client("offline:/tmp/somewhere")$journal_dir, "/tmp/somewhere")
})

test_that("journal kept: a batch that timed out goes again as halves, and its call is done when both are", {
  dir <- local_journal_dir()
  client <- test_client("http://127.0.0.1:9", MLFLOWREST_JOURNAL_DIR = dir)
  logger <- new_background_logger(client, "run-1")
  for (i in 0:999) logger_add(logger, "loss", i, 1700000000000 + i, i)
  # A full buffer is cut into one batch at once (queued, or already sent to the closed port).
  pending <- c(logger$queue, unname(logger$sending))
  expect_length(pending, 1L)
  batch <- pending[[1L]]
  logger$queue <- logger$sending <- list()
  timeout <- transport_error("Operation too slow", "POST", "/api/2.0/mlflow/runs/log-batch", timeout = TRUE)
  refused <- api_error(400L, "INVALID_PARAMETER_VALUE", "no", "POST", "/api/2.0/mlflow/runs/log-batch")
  expect_false(split_slow_batch(logger, batch, refused))
  expect_true(split_slow_batch(logger, batch, timeout))
  halves <- logger$queue
  expect_equal(vapply(halves, function(h) h$points, 1L), c(500L, 500L))
  expect_equal(sort(c(halves[[1]]$columns$step, halves[[2]]$columns$step)), 0:999)
  calls <- records_of(dir, "call")
  expect_equal(vapply(calls, function(r) length(r$body$metrics), 1L), c(1000L, 500L, 500L))
  journal_batch_done(logger, halves[[1]], 200L)
  expect_equal(journal_left(client$journal), 2L)  # the cut call waits for its other half
  journal_batch_done(logger, halves[[2]], 200L)
  expect_equal(journal_left(client$journal), 0L)
  expect_setequal(vapply(records_of(dir, "done"), function(r) r$seq, 1L), vapply(calls, function(r) r$seq, 1L))
  # Without the journal kept, or below twice the smallest part, nothing is split.
  expect_false(split_slow_batch(logger, halves[[1]], timeout, min_points = 300L))
})
