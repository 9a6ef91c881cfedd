# log-batch splitting: every request within every limit of the spec, nothing lost or
# reordered.

decode <- function(bodies) lapply(bodies, jsonlite::fromJSON, simplifyVector = FALSE)

expect_within_limits <- function(bodies) {
  for (body in bodies) {
    parsed <- jsonlite::fromJSON(body, simplifyVector = FALSE)
    expect_lte(length(parsed$metrics), mlflow_limits$max_metrics_per_batch)
    expect_lte(length(parsed$params), mlflow_limits$max_params_tags_per_batch)
    expect_lte(length(parsed$tags), mlflow_limits$max_params_tags_per_batch)
    expect_lte(length(parsed$metrics) + length(parsed$params) + length(parsed$tags),
               mlflow_limits$max_entities_per_batch)
    expect_lte(nchar(body, type = "bytes"), mlflow_limits$max_batch_request_bytes)
    keys <- vapply(parsed$params, function(p) p$key, character(1))
    expect_false(anyDuplicated(keys) > 0)
  }
}

test_that("the limits come from the generated file", {
  expect_equal(mlflow_limits$max_metrics_per_batch, 1000)
  expect_equal(mlflow_limits$max_params_tags_per_batch, 100)
  expect_equal(mlflow_limits$max_entities_per_batch, 1000)
  expect_equal(mlflow_limits$max_batch_request_bytes, 1e6)
})

test_that("2500 metrics go in three requests of at most 1000", {
  metrics <- data.frame(key = "loss", value = seq_len(2500) / 7, timestamp = 1700000000000,
                        step = seq_len(2500))
  bodies <- batch_bodies("r1", batch_entities(metrics = metrics))
  expect_length(bodies, 3)
  expect_within_limits(bodies)
  values <- unlist(lapply(decode(bodies), function(b) vapply(b$metrics, function(m) m$value, 1)))
  expect_equal(values, seq_len(2500) / 7)
})

test_that("params and tags are capped at 100 each and 1000 entities overall", {
  params <- stats::setNames(as.list(seq_len(250)), sprintf("p%03d", seq_len(250)))
  tags <- stats::setNames(as.list(seq_len(150)), sprintf("t%03d", seq_len(150)))
  metrics <- data.frame(key = "m", value = seq_len(950))
  bodies <- batch_bodies("r1", batch_entities(metrics, params, tags))
  expect_within_limits(bodies)
  all <- decode(bodies)
  expect_equal(sum(vapply(all, function(b) length(b$params), 1)), 250)
  expect_equal(sum(vapply(all, function(b) length(b$tags), 1)), 150)
  expect_equal(sum(vapply(all, function(b) length(b$metrics), 1)), 950)
})

test_that("the 1 MB body limit splits large values", {
  params <- stats::setNames(as.list(rep(strrep("v", 6000), 100)), sprintf("p%03d", 1:100))
  tags <- stats::setNames(as.list(rep(strrep("t", 8000), 100)), sprintf("t%03d", 1:100))
  bodies <- batch_bodies("r1", batch_entities(params = params, tags = tags))
  expect_gt(length(bodies), 1)
  expect_within_limits(bodies)
})

test_that("a param key never appears twice in one request", {
  params <- data.frame(key = c("a", "b", "a"), value = c("1", "2", "1"))
  bodies <- batch_bodies("r1", batch_entities(params = params))
  expect_length(bodies, 2)
  expect_within_limits(bodies)
})

test_that("NaN and infinities are sent as strings, other values exactly", {
  expect_equal(json_metric_value(c(NaN, Inf, -Inf, 0.1, 1e300, 2)),
               c('"NaN"', '"Infinity"', '"-Infinity"', "0.1", "1e+300", "2"))
  x <- 1 / 3
  expect_identical(as.numeric(json_metric_value(x)), x)
  expect_equal(parse_metric_value("NaN"), NaN)
  expect_equal(parse_metric_value("-Infinity"), -Inf)
})

test_that("strings are escaped into valid JSON", {
  odd <- c("quote\" back\\slash", "line\nbreak\ttab", "ctl\001x", "unicod\u00e9")
  expect_equal(jsonlite::fromJSON(paste0("[", paste(json_quote(odd), collapse = ","), "]")), odd)
})

test_that("mlflow_log_batch sends the chunks to runs/log-batch", {
  web <- stub_server()
  client <- test_client(web$url())
  n <- mlflow_log_batch(metrics = data.frame(key = "m", value = 1:1500), params = list(a = 1),
                        run_id = "run1", client = client)
  expect_equal(n, 2)
  bodies <- mlflow_request(client, "GET", "/batches")$bodies
  expect_length(bodies, 2)
  expect_equal(jsonlite::fromJSON(bodies[[1]])$run_id, "run1")
})

test_that("log_metric sends NaN and infinities as strings and int64 fields as integers", {
  web <- stub_server()
  client <- test_client(web$url())
  for (value in c(NaN, Inf, -Inf, 1 / 3)) {
    mlflow_log_metric("m", value, timestamp = 1700000000123, step = 12, run_id = "run1", client = client)
  }
  bodies <- mlflow_request(client, "GET", "/batches")$bodies
  expect_match(bodies[[1]], '"value":"NaN"', fixed = TRUE)
  expect_match(bodies[[2]], '"value":"Infinity"', fixed = TRUE)
  expect_match(bodies[[3]], '"value":"-Infinity"', fixed = TRUE)
  expect_match(bodies[[4]], '"timestamp":1700000000123,"step":12', fixed = TRUE)
  expect_identical(jsonlite::fromJSON(bodies[[4]])$value, 1 / 3)
})
