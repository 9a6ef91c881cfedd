# The write window (R/congestion.R, family-rules.yaml `congestion`): overload answers shrink it,
# stored batches grow it back, and whatever shrinks it loses no point.

test_that("the window follows the family's AIMD rule", {
  window <- write_window(list(host = "http://aimd.test", batch_concurrency = 2L))
  # The same numbers as Python's WriteLimit test: one rule, three SDKs.
  expect_equal(window$size, 2 * rules_congestion$initial_window_per_batch_concurrency)
  expect_equal(window$max, 8)
  window_overloaded(window_overloaded(window))
  expect_equal(window$size, 2)
  for (i in 1:2) window_stored(window)
  expect_equal(window$size, 2.9)  # 2 + 1/2, then + 1/2.5
  for (i in 1:200) window_stored(window)
  expect_equal(window$size, 8)
  for (i in 1:10) window_overloaded(window)
  expect_equal(window$size, rules_congestion$min_window)
  expect_equal(window$decreases, 12L)
  # One window per server and batch_concurrency, shared by every client of the session.
  expect_identical(write_window(list(host = "http://aimd.test", batch_concurrency = 2L)), window)
  expect_false(identical(write_window(list(host = "http://other.test", batch_concurrency = 2L)), window))
})

test_that("the window stays under the server's pool whatever batch_concurrency", {
  # 15 log_batch requests in one server worker deadlock its pool (tests/faults/test_pool_deadlock.py).
  expect_equal(write_window(list(host = "http://cap.test", batch_concurrency = 3L))$max, 12)
  wide <- write_window(list(host = "http://cap.test", batch_concurrency = 8L))
  expect_equal(c(wide$size, wide$max), c(14, 14))
  for (i in 1:100) window_stored(wide)
  expect_equal(wide$size, 14)
})

test_that("overload answers to log_batch shrink the window and every point is stored", {
  web <- stub_server()
  client <- test_client(web$url())
  window <- write_window(client)
  metrics <- data.frame(key = "m", value = as.numeric(0:2999), step = 0:2999, timestamp = 1)
  # The first request meets three QueuePool answers (retried), then each batch is stored.
  mlflow_log_batch(metrics = metrics, run_id = "busy-1", client = client)
  expect_equal(window$decreases, 3L)
  expect_equal(window$size, 2.9)  # 8 -> 4 -> 2 -> 1, then + 1, + 1/2, + 1/2.5
  bodies <- mlflow_request(client, "GET", "/batches")$bodies
  steps <- unlist(lapply(bodies, function(b) {
    vapply(jsonlite::fromJSON(b, simplifyVector = FALSE)$metrics, function(m) m$step, 0)
  }))
  expect_equal(sort(steps), 0:2999)
})

test_that("overload answers outlive max_retries until overload_timeout, then raise the server's error", {
  web <- stub_server()
  metrics <- data.frame(key = "m", value = 1, step = 0, timestamp = 1)
  # busy-*: three QueuePool answers, then stored; one retry allowed, the time budget does the rest.
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1")
  expect_equal(client$overload_timeout, 600)
  mlflow_log_batch(metrics = metrics, run_id = "busy-2", client = client)
  expect_equal(mlflow_request(client, "GET", "/hits/batch-busy-2")$hits, 4L)
  # 0: overload answers count like any other failure (two tries, then the 400 is the caller's).
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1", MLFLOWREST_OVERLOAD_TIMEOUT = "0")
  expect_error(mlflow_log_batch(metrics = metrics, run_id = "busy-3", client = client),
               "QueuePool limit", class = "mlflowrest_invalid_parameter_value")
  expect_equal(mlflow_request(client, "GET", "/hits/batch-busy-3")$hits, 2L)
  # The budget is time: with backoff waits of 1 s, 2 s and a 2.5 s budget, the third try is the last.
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1", MLFLOWREST_OVERLOAD_TIMEOUT = "2.5",
                        MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR = "1")
  expect_error(mlflow_log_batch(metrics = metrics, run_id = "busy-4", client = client), class = "mlflowrest_api_error")
  expect_equal(mlflow_request(client, "GET", "/hits/batch-busy-4")$hits, 3L)
  # A proxy's 503 may be an outage: max_retries bound it, not the overload budget.
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1")
  expect_error(mlflow_log_batch(metrics = metrics, run_id = "down-5", client = client),
               class = "mlflowrest_server_error")
  expect_equal(mlflow_request(client, "GET", "/hits/batch-down-5")$hits, 2L)
  # Retries off: not even an overload answer is resent.
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "0")
  expect_error(mlflow_log_batch(metrics = metrics, run_id = "busy-6", client = client), class = "mlflowrest_api_error")
  expect_equal(mlflow_request(client, "GET", "/hits/batch-busy-6")$hits, 1L)
})

test_that("the background logger backs off on overload and keeps every point", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- start_background_logger(client, "busy-2", 60)
  withr::defer(stop_background_logger("busy-2"))
  for (i in 0:4999) mlflow_log_metric("m", i, step = i, run_id = "busy-2", client = client)
  mlflow_flush("busy-2")
  expect_gte(logger$window$decreases, 1L)
  expect_lt(logger$window$size, logger$window$max)
  expect_equal(logger$stored, 5000)
  bodies <- mlflow_request(client, "GET", "/batches")$bodies
  steps <- unlist(lapply(bodies, function(b) {
    vapply(jsonlite::fromJSON(b, simplifyVector = FALSE)$metrics, function(m) m$step, 0)
  }))
  expect_equal(sort(unique(steps)), 0:4999)
})

test_that("a live server's background logger stays within the window and stores everything", {
  client <- live_client()
  experiment_id <- mlflow_create_experiment(unique_name("window"), client = client)
  run <- mlflow_start_run(experiment_id = experiment_id, client = client, background = TRUE)
  logger <- background_logger(run$run_id)
  decreases <- logger$window$decreases
  over <- -Inf
  for (i in 0:9999) {
    mlflow_log_metric("loss", i / 10000, step = i, run_id = run$run_id, client = client)
    over <- max(over, length(logger$sending) - floor(logger$window$size))
  }
  mlflow_end_run(run_id = run$run_id, client = client)
  expect_lte(over, 0)
  expect_lte(logger$peak_in_flight, logger$window$max)
  expect_equal(logger$window$decreases, decreases)  # a quiet server: no overload, no back-off
  history <- mlflow_get_metric_history("loss", run_id = run$run_id, client = client)
  expect_equal(nrow(history), 10000L)
})
