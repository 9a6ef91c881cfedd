# The request helper's retry policy (docs/design.md): what is retried, how often, and what
# is raised when retries run out.

test_that("5xx and 429 are retried until a success", {
  web <- stub_server()
  client <- test_client(web$url())
  answer <- mlflow_request(client, "GET", "/seq/a?codes=503,429,502,200")
  expect_equal(answer$attempt, 4)
})

test_that("other 4xx answers are never retried", {
  web <- stub_server()
  client <- test_client(web$url())
  for (status in c(400, 401, 403, 404, 409)) {
    key <- paste0("k", status)
    expect_error(mlflow_request(client, "GET", sprintf("/seq/%s?codes=%d,200&code=X", key, status)),
                 class = "mlflowrest_api_error")
    expect_equal(mlflow_request(client, "GET", paste0("/hits/", key))$hits, 1)
  }
})

test_that("408 is retried", {
  web <- stub_server()
  client <- test_client(web$url())
  expect_equal(mlflow_request(client, "GET", "/seq/t?codes=408,200")$attempt, 2)
})

test_that("retries stop at MLFLOW_HTTP_REQUEST_MAX_RETRIES and raise a server error", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "2")
  err <- expect_error(mlflow_request(client, "GET", "/seq/b?codes=503"), class = "mlflowrest_server_error")
  expect_equal(err$http_status, 503L)
  expect_equal(err$error_code, "TEMPORARILY_UNAVAILABLE")
  expect_equal(err$attempts, 3L)
  expect_equal(mlflow_request(client, "GET", "/hits/b")$hits, 3)
})

test_that("429 after the last retry is a rate-limited error", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "1")
  expect_error(mlflow_request(client, "GET", "/seq/c?codes=429&code=REQUEST_LIMIT_EXCEEDED"),
               class = "mlflowrest_rate_limited")
})

test_that("Retry-After is honoured", {
  web <- stub_server()
  client <- test_client(web$url())
  started <- Sys.time()
  mlflow_request(client, "GET", "/seq/d?codes=503,200&retry_after=1")
  expect_gte(as.numeric(difftime(Sys.time(), started, units = "secs")), 0.9)
})

test_that("retry_wait follows Retry-After (seconds or date, capped) and the backoff", {
  expect_equal(retry_wait(0, "5", 0.5, 0), 5)
  expect_equal(retry_wait(3, "600", 0.5, 0), 60)
  expect_equal(retry_wait(0, "-3", 0.5, 0), 0)
  later <- format(Sys.time() + 30, "%a, %d %b %Y %H:%M:%S GMT", tz = "GMT")
  expect_true(abs(retry_wait(0, later, 0.5, 0) - 30) < 2)
  expect_equal(retry_wait(0, NULL, 0.5, 0), 0.5)
  expect_equal(retry_wait(3, NULL, 0.5, 0), 4)
  expect_equal(retry_wait(10, NULL, 0.5, 0), 60)
  waits <- vapply(1:50, function(i) retry_wait(1, NULL, 0.5, 1), numeric(1))
  expect_true(all(waits >= 1 & waits <= 2))
  expect_gt(stats::sd(waits), 0)
})

test_that("the backoff's jitter leaves the user's random stream alone", {
  set.seed(42)
  expected <- stats::runif(3)
  set.seed(42)
  retry_wait(1, NULL, 0, 1)
  random_hex()
  expect_equal(stats::runif(3), expected)
})

test_that("connection errors are retried, then raised as transport errors", {
  client <- test_client(closed_port_url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "2")
  err <- expect_error(mlflow_request(client, "GET", "/x"), class = "mlflowrest_transport_error")
  expect_equal(err$attempts, 3L)
  expect_false(inherits(err, "mlflowrest_api_error"))
  expect_false(inherits(err, "mlflowrest_timeout"))
})

test_that("a request that stalls past the timeout is a timeout error", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_TIMEOUT = "1",
                        MLFLOW_HTTP_REQUEST_MAX_RETRIES = "0")
  err <- expect_error(mlflow_request(client, "GET", "/slow"), class = "mlflowrest_timeout")
  expect_s3_class(err, "mlflowrest_transport_error")
})

test_that("a lost runs/create answer does not make a second run", {
  web <- stub_server()
  client <- test_client(web$url())
  run <- mlflow_start_run(experiment_id = "0", client = client)
  expect_equal(run$run_id, "run1")
  expect_equal(mlflow_request(client, "GET", "/hits/create")$hits, 1)
})

test_that("a retried upload streams the whole file again", {
  web <- stub_server()
  client <- test_client(web$url())
  file <- withr::local_tempfile()
  bytes <- as.raw(rep(0:255, 4000))
  writeBin(bytes, file)
  proxied_store("mlflow-artifacts:/0/run/artifacts", client)$upload(file, "data.bin")
  uploads <- mlflow_request(client, "GET", "/uploads")$uploads
  expect_length(uploads, 2)
  for (u in uploads) {
    expect_equal(u$path, "0/run/artifacts/data.bin")
    expect_equal(u$size, length(bytes))
    expect_equal(u$md5, digest_raw(bytes))
  }
})

test_that("a retried experiment create returns the experiment its first try made", {
  web <- stub_server()
  client <- test_client(web$url())
  expect_equal(mlflow_create_experiment("exp-a", client = client), "7")
})

test_that("RESOURCE_ALREADY_EXISTS on a first try still raises", {
  web <- stub_server()
  client <- test_client(web$url())
  # Someone else's create made the experiment (the stub's first create).
  once <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "0")
  expect_error(mlflow_request(once, "POST", "/api/2.0/mlflow/experiments/create",
                              body = list(name = "exp-b")),
               class = "mlflowrest_server_error")
  expect_error(mlflow_create_experiment("exp-b", client = client),
               class = "mlflowrest_resource_already_exists")
})

test_that("reused handles send no cookies from earlier answers", {
  web <- stub_server()
  client <- test_client(web$url())
  expect_equal(mlflow_request(client, "GET", "/cookie")$cookie, "none")
  expect_equal(mlflow_request(client, "GET", "/cookie")$cookie, "none")
  expect_equal(mlflow_request(client, "GET", "/seq/ck?codes=200")$attempt, 1)
  expect_equal(mlflow_request(client, "GET", "/cookie")$cookie, "none")
})
