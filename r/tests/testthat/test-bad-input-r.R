# Issue 15 items 4 and 16 in R: what is refused before any request, by name, and what the
# error names when the server is gone.

test_that("mlflow_log_batch() refuses NA like mlflow_log_metric(), before sending anything", {
  web <- stub_server()
  client <- test_client(web$url())
  metrics <- data.frame(key = c("a", "b"), value = c(1, NA_real_))
  err <- expect_error(mlflow_log_batch(metrics = metrics, run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "value")
  expect_match(conditionMessage(err), "row 2 is NA")
  single <- expect_error(mlflow_log_metric("a", NA_real_, run_id = "r1", client = client),
                         class = "mlflowrest_invalid_parameter_value")
  expect_equal(single$field, "value")
  # NaN is a value, not a missing one.
  expect_match(batch_entities(data.frame(key = "a", value = NaN))$json, '"value":"NaN"', fixed = TRUE)
})

test_that("mlflow_set_experiment('') is refused client-side", {
  withr::local_envvar(MLFLOW_TRACKING_URI = closed_port_url())
  err <- expect_error(mlflow_set_experiment(""), class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "name")
  expect_null(err$http_status)
})

test_that("a character timestamp is a classed error with no R warning first", {
  expect_no_warning(err <- expect_error(
    mlflow_log_metric("m", 1, timestamp = "yesterday", run_id = "r1", client = test_client(closed_port_url())),
    class = "mlflowrest_invalid_parameter_value"))
  expect_equal(err$field, "timestamp")
  expect_no_warning(err <- expect_error(
    batch_entities(data.frame(key = "m", value = 1, timestamp = "noon")),
    class = "mlflowrest_invalid_parameter_value"))
  expect_equal(err$field, "timestamp")
})

test_that("int64 steps and timestamps: whole, and within the 2^53 R's doubles hold exactly", {
  client <- test_client(closed_port_url())
  err <- expect_error(mlflow_log_metric("m", 1, step = 2^53 + 2, run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "step")
  expect_equal(err$limit, "2^53")
  expect_match(conditionMessage(err), "2^53", fixed = TRUE)
  # 2^63 + 5 is the double 2^63, already outside int64: the range is the limit, as in Python/Java.
  err <- expect_error(mlflow_log_metric("m", 1, timestamp = 2^63 + 5, run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "timestamp")
  expect_equal(err$limit, "ge=-9223372036854775808, le=9223372036854775807")
  expect_match(conditionMessage(err), "outside int64")
  err <- expect_error(mlflow_log_metric("m", 1, step = -2^63 - 4096, run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_match(conditionMessage(err), "outside int64")
  # Beyond 2^53, digit strings carry int64 exactly (how a JSON reader keeps them too); outside
  # int64 they are refused, compared as digits, not rounded.
  expect_match(batch_entities(data.frame(key = c("a", "b"), value = 1, step = c("007", "9007199254740993")))$json[2],
               '"step":9007199254740993', fixed = TRUE)
  err <- expect_error(mlflow_log_metric("m", 1, timestamp = "-9223372036854775809", run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$limit, "ge=-9223372036854775808, le=9223372036854775807")
  err <- expect_error(batch_entities(data.frame(key = c("a", "b"), value = 1, step = c("0", "9223372036854775808"))),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$limit, "ge=-9223372036854775808, le=9223372036854775807")
  expect_match(conditionMessage(err), "row 2")
  expect_equal(mlflowrest:::buffered_int64("9007199254740992", "step"), 2^53)
  err <- expect_error(mlflowrest:::buffered_int64("9007199254740993", "step"),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$limit, "2^53")
  # -2^63 itself is int64's minimum, but beyond what a double holds exactly.
  err <- expect_error(mlflow_log_metric("m", 1, step = -2^63, run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$limit, "2^53")
  err <- expect_error(mlflow_log_metric("m", 1, step = 1.5, run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_match(conditionMessage(err), "whole number")
  err <- expect_error(batch_entities(data.frame(key = c("a", "b"), value = 1, step = c(1, -2^60))),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "step")
  expect_match(conditionMessage(err), "row 2")
  err <- expect_error(batch_entities(data.frame(key = c("a", "b"), value = 1, step = c(0, 2^63 + 5))),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$limit, "ge=-9223372036854775808, le=9223372036854775807")
  # The largest exact value still goes out unchanged.
  expect_match(batch_entities(data.frame(key = "a", value = 1, step = 2^53))$json,
               '"step":9007199254740992', fixed = TRUE)
})

test_that("with the server down, the error names the function called, not an internal lookup", {
  withr::local_envvar(MLFLOW_TRACKING_URI = closed_port_url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1",
                      MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR = "0", MLFLOW_HTTP_REQUEST_BACKOFF_JITTER = "0")
  withr::defer(assign("active_runs", NULL, envir = .globals))
  err <- expect_error(mlflow_log_metric("m", 1), class = "mlflowrest_transport_error")
  expect_match(conditionMessage(err), "^mlflow_log_metric\\(\\): POST /api/2.0/mlflow/runs/create failed")
  expect_false(grepl("runs/search", conditionMessage(err), fixed = TRUE))
  expect_equal(err$path, "/api/2.0/mlflow/runs/create")
})
