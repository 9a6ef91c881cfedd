# The background logger (R/background.R) against the stub server: batching, the write window
# on batches in flight, retries that keep points, and typed errors from flush.

# The metric points the stub stored for a run, one row per point, from every stored body.
stored_points <- function(client, run_id) {
  bodies <- mlflow_request(client, "GET", "/batches")$bodies
  rows <- lapply(bodies, function(body) {
    batch <- jsonlite::fromJSON(body, simplifyVector = FALSE)
    if (!identical(batch$run_id, run_id)) return(NULL)
    data.frame(key = vapply(batch$metrics, function(m) m$key, ""),
               value = vapply(batch$metrics, function(m) as.numeric(m$value), 0),
               step = vapply(batch$metrics, function(m) as.numeric(m$step), 0),
               batch = length(batch$metrics))
  })
  do.call(rbind, rows)
}

local_logger <- function(client, run_id, flush_interval = 60, .local_envir = parent.frame()) {
  logger <- start_background_logger(client, run_id, flush_interval)
  # Unsent points are dropped here, or the logger's exit hook would try to send them.
  withr::defer({
    logger$n <- 0L
    logger$queue <- logger$sending <- list()
    stop_background_logger(run_id)
  }, envir = .local_envir)
  logger
}

test_that("points are buffered and sent as log-batch requests of at most 1000", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- local_logger(client, "batch-1")
  for (i in 0:2499) mlflow_log_metric("loss", i / 2, step = i, run_id = "batch-1", client = client)
  # Two full batches have left the buffer without a flush; 500 points wait in it.
  expect_equal(logger$n, 500L)
  mlflow_flush("batch-1")
  points <- stored_points(client, "batch-1")
  expect_equal(sort(unique(points$batch), decreasing = TRUE), c(1000, 500))
  expect_equal(nrow(points), 2500)
  expect_equal(sort(points$step), 0:2499)
  expect_equal(points$value[order(points$step)], (0:2499) / 2)
  expect_equal(pending_points(logger), 0L)
})

test_that("a partial buffer goes out once the flush interval has passed", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- local_logger(client, "batch-2", flush_interval = 0.2)
  for (i in 1:3) mlflow_log_metric("m", i, step = i, run_id = "batch-2", client = client)
  expect_equal(logger$n, 3L)
  Sys.sleep(0.3)
  mlflow_log_metric("m", 4, step = 4, run_id = "batch-2", client = client)
  expect_equal(logger$n, 0L)
  mlflow_flush("batch-2")
  expect_equal(stored_points(client, "batch-2")$batch, rep(4, 4))
})

test_that("batches in flight stay within the session's write window", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- local_logger(client, "slow-1")
  # Two overload answers' worth: the window (4 per unit of batch_concurrency) is down to 2.
  window_overloaded(window_overloaded(logger$window))
  expect_equal(logger$window$size, 2)
  most <- 0L
  over <- -Inf
  for (i in 1:5000) {
    mlflow_log_metric("m", i, step = i, run_id = "slow-1", client = client)
    most <- max(most, length(logger$sending))
    over <- max(over, length(logger$sending) - floor(logger$window$size))
  }
  expect_equal(most, 2L)
  expect_lte(over, 0)
  expect_equal(logger$peak_in_flight, 2L)
  # The rest waits in the queue with its points, not dropped: every point is held (queued or
  # in flight) or stored, and a batch in flight may already be stored (the stub keeps a body
  # when it arrives, then waits 0.2 s), so it can count twice, nothing else can.
  held <- pending_points(logger)
  in_flight <- sum(vapply(logger$sending, function(b) b$points, integer(1)))
  stored <- nrow(stored_points(client, "slow-1"))
  expect_gte(held + stored, 5000L)
  expect_lte(held + stored, 5000L + in_flight)
  mlflow_flush("slow-1")
  expect_equal(sort(stored_points(client, "slow-1")$step), 1:5000)
})

test_that("a batch answered 503 keeps its points and is sent again", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- local_logger(client, "flaky-1")
  for (i in 1:1500) mlflow_log_metric("m", i, step = i, run_id = "flaky-1", client = client)
  mlflow_flush("flaky-1")
  expect_equal(sort(stored_points(client, "flaky-1")$step), 1:1500)
  # Two 503s, then the two batches stored.
  expect_equal(mlflow_request(client, "GET", "/hits/batch-flaky-1")$hits, 4)
})

test_that("flush raises the typed error when the server stays down, keeping the points", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "2")
  logger <- local_logger(client, "down-1")
  for (i in 1:10) mlflow_log_metric("m", i, step = i, run_id = "down-1", client = client)
  err <- expect_error(mlflow_flush("down-1"), class = "mlflowrest_server_error")
  expect_s3_class(err, "mlflowrest_api_error")
  expect_equal(err$http_status, 503L)
  expect_equal(err$pending_points, 10L)
  expect_match(conditionMessage(err), "10 metric points of run down-1 not stored")
  expect_equal(pending_points(logger), 10L)
  # Ending the run flushes first: the run is still marked, then the flush's error comes out.
  expect_error(mlflow_end_run(run_id = "down-1", client = client), class = "mlflowrest_server_error")
  expect_null(background_logger("down-1"))
})

test_that("a refused point is isolated: every other point stored, the flush names it", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- local_logger(client, "refuse-1")
  for (i in 0:2499) {
    mlflow_log_metric("loss", i, timestamp = if (i == 1234) -1 else 1000 + i, step = i,
                      run_id = "refuse-1", client = client)
  }
  err <- expect_error(mlflow_flush("refuse-1", timeout = 60), class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$http_status, 400L)
  expect_equal(err$stored, 2499)
  expect_equal(err$refused[[1]]$step, 1234)
  expect_match(conditionMessage(err), "2499 points stored, 1 refused; refused: loss=1234 (step=1234, timestamp=-1)",
               fixed = TRUE)
  expect_equal(sort(stored_points(client, "refuse-1")$step), setdiff(0:2499, 1234))
  # Halving isolates it in about 2 * log2(1000) requests, not one per point.
  expect_lt(mlflow_request(client, "GET", "/hits/batch-refuse-1")$hits, 40)
  # Reported once: the next flush has nothing left to say.
  expect_null(mlflow_flush("refuse-1"))
})

test_that("a deleted run stops the logger: flush and later logging calls raise, nothing loops", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- local_logger(client, "deleted-1")
  # One full batch, which goes out as the 1000th point is logged.
  for (i in 1:1000) mlflow_log_metric("m", i, step = i, run_id = "deleted-1", client = client)
  err <- expect_error(mlflow_flush("deleted-1"), class = "mlflowrest_invalid_parameter_value")
  expect_match(conditionMessage(err), "0 points stored, stopped")
  expect_equal(err$unsent, 1000L)
  hits <- mlflow_request(client, "GET", "/hits/batch-deleted-1")$hits
  expect_equal(hits, 1)  # one refusal, then a runs/get: never split
  expect_error(mlflow_log_metric("m", 1, run_id = "deleted-1", client = client),
               class = "mlflowrest_invalid_parameter_value")
  expect_error(mlflow_flush("deleted-1"), class = "mlflowrest_invalid_parameter_value")
  expect_equal(mlflow_request(client, "GET", "/hits/batch-deleted-1")$hits, hits)
})

test_that("flush waits at most its timeout, then says how many points are unsent", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1000",
                        MLFLOWREST_FLUSH_TIMEOUT = "0.5")
  expect_equal(client$flush_timeout, 0.5)
  logger <- local_logger(client, "down-2")
  for (i in 1:10) mlflow_log_metric("m", i, step = i, run_id = "down-2", client = client)
  err <- expect_error(mlflow_flush("down-2"), class = "mlflowrest_timeout")
  expect_s3_class(err, "mlflowrest_error")
  expect_equal(err$unsent, 10L)
  expect_match(conditionMessage(err), "10 metric points of run down-2 still unsent after 0.5 s")
  err <- expect_error(mlflow_flush("down-2", timeout = 0.2), class = "mlflowrest_timeout")
  expect_match(conditionMessage(err), "after 0.2 s")
  expect_error(mlflow_flush("down-2", timeout = -1), class = "mlflowrest_invalid_parameter_value")
  expect_equal(pending_points(logger), 10L)
})

test_that("flush raises a transport error when nothing listens", {
  client <- test_client(closed_port_url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1",
                        MLFLOW_TRACKING_TOKEN = "s3cr3t-token")
  logger <- local_logger(client, "gone-1")
  mlflow_log_metric("m", 1, step = 1, run_id = "gone-1", client = client)
  err <- expect_error(mlflow_flush("gone-1"), class = "mlflowrest_transport_error")
  expect_false(grepl("s3cr3t", conditionMessage(err)))
  expect_equal(pending_points(logger), 1L)
})

test_that("a script that never ends its run still sends its points when R exits", {
  web <- stub_server()
  client <- test_client(web$url())
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    "library(mlflowrest)",
    sprintf("client <- mlflow_client('%s')", web$url()),
    "mlflowrest:::start_background_logger(client, 'exit-1', 60)",
    "for (i in 1:10) mlflow_log_metric('m', i, step = i, run_id = 'exit-1', client = client)"
  ), script)
  status <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", shQuote(script)),
                    env = paste0("R_LIBS=", paste(.libPaths(), collapse = .Platform$path.sep)),
                    stdout = FALSE, stderr = FALSE)
  expect_equal(status, 0L)
  expect_equal(sort(stored_points(client, "exit-1")$step), 1:10)
})

test_that("invalid steps and flush intervals are refused before anything is buffered", {
  client <- test_client(closed_port_url())
  logger <- local_logger(client, "check-1")
  expect_error(mlflow_log_metric("m", 1, step = "a", run_id = "check-1", client = client),
               class = "mlflowrest_invalid_parameter_value")
  expect_error(mlflow_log_metric("bad..key/../x", 1, run_id = "check-1", client = client),
               class = "mlflowrest_invalid_parameter_value")
  expect_equal(logger$n, 0L)
  expect_error(mlflow_start_run(client = client, background = TRUE, flush_interval = -1),
               class = "mlflowrest_invalid_parameter_value")
})
