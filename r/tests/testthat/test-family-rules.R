# The rules of openapi/family-rules.yaml, as the R package follows them.

hits <- function(web, key) jsonlite::fromJSON(web$url(paste0("/hits/", key)))$hits

test_that("overload answers are retried with backoff, then succeed", {
  web <- stub_server()
  client <- test_client(web$url())
  for (kind in c("queuepool", "locked", "503", "504")) {
    answer <- mlflow_request(client, "GET", paste0("/overload/", kind, "/", kind))
    expect_equal(answer$attempt, 2L, info = kind)
  }
})

test_that("a plain 400 is final", {
  web <- stub_server()
  client <- test_client(web$url())
  expect_error(mlflow_request(client, "GET", "/overload/p/plain400"), class = "mlflowrest_invalid_parameter_value")
  expect_equal(hits(web, "p"), 1L)
})

test_that("a redirect is an error, not followed, naming where it led", {
  web <- stub_server()
  client <- test_client(web$url())
  err <- expect_error(mlflow_request(client, "GET", "/redirect"), class = "mlflowrest_unexpected_response")
  expect_equal(err$http_status, 302L)
  expect_match(conditionMessage(err), "sso.example/login", fixed = TRUE)
  expect_false(grepl("next=x", conditionMessage(err), fixed = TRUE))
})

test_that("error_code wins over a status that disagrees, and the message has the family's format", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "0")
  err <- expect_error(mlflow_request(client, "GET", "/json-error/500/RESOURCE_DOES_NOT_EXIST"),
                      class = "mlflowrest_resource_does_not_exist")
  expect_equal(conditionMessage(err),
               "500 RESOURCE_DOES_NOT_EXIST: server says no (GET /json-error/500/RESOURCE_DOES_NOT_EXIST)")
})

test_that("a model version create finds the version its lost first try made", {
  web <- stub_server()
  withr::local_envvar(MLFLOW_TRACKING_URI = web$url())
  client <- test_client(web$url())
  mv <- mlflow_create_model_version("m", "s", client = client)
  expect_equal(mv$version, "3")
  expect_equal(hits(web, "mv-create"), 1L)
})

test_that("a `never` operation is not resent after an ambiguous failure", {
  web <- stub_server()
  client <- test_client(web$url())
  expect_error(mlflow_request(client, "POST", "/api/2.0/mlflow/webhooks/w1/test", body = list(webhook_id = "w1")),
               class = "mlflowrest_server_error")
  expect_equal(hits(web, "webhook-test"), 1L)
})

test_that("MLFLOW_TRACKING_INSECURE_TLS takes MLflow's spellings, and a typo is an error", {
  for (raw in c("1", "TRUE", "true")) {
    withr::local_envvar(MLFLOW_TRACKING_INSECURE_TLS = raw)
    expect_true(mlflow_client("https://h")$insecure, info = raw)
  }
  withr::local_envvar(MLFLOW_TRACKING_INSECURE_TLS = "yes")
  err <- expect_error(mlflow_client("https://h"), class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "MLFLOW_TRACKING_INSECURE_TLS")
})

test_that("out-of-bounds numbers are rejected naming the variable and the limit", {
  for (setting in c("MLFLOW_HTTP_REQUEST_MAX_RETRIES=-1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR=-0.5",
                    "MLFLOW_HTTP_REQUEST_TIMEOUT=0", "MLFLOWREST_BATCH_CONCURRENCY=0")) {
    kv <- strsplit(setting, "=", fixed = TRUE)[[1]]
    withr::with_envvar(stats::setNames(kv[2], kv[1]), {
      err <- expect_error(mlflow_client("http://h"), class = "mlflowrest_invalid_parameter_value")
      expect_equal(err$field, kv[1])
      expect_true(nzchar(err$limit))
    })
  }
})

test_that("basic auth wins over a token", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_TRACKING_TOKEN = "tok", MLFLOW_TRACKING_USERNAME = "u",
                        MLFLOW_TRACKING_PASSWORD = "p")
  expect_match(mlflow_request(client, "GET", "/auth-check")$authorization, "^Basic ")
})

test_that("Databricks: the environment wins over the profile field by field; a missing profile is an error", {
  cfg <- withr::local_tempfile()
  writeLines(c("[DEFAULT]", "host = https://profile.example", "token = from-profile"), cfg)
  withr::local_envvar(DATABRICKS_CONFIG_FILE = cfg, DATABRICKS_TOKEN = "from-env", DATABRICKS_HOST = NA,
                      MLFLOW_TRACKING_TOKEN = NA)
  client <- mlflow_client("databricks")
  expect_equal(client$host, "https://profile.example")
  expect_equal(reveal(client$token), "from-env")
  withr::local_envvar(DATABRICKS_HOST = "https://env.example")
  expect_error(mlflow_client("databricks://missing"), "no profile 'missing'",
               class = "mlflowrest_invalid_parameter_value")
})

test_that("searches send the spec's default max_results when the caller gives none", {
  body <- with_request_defaults("POST", "/api/2.0/mlflow/experiments/search", list(filter = "x"))
  expect_equal(body$max_results, 1000L)
  kept <- with_request_defaults("POST", "/api/2.0/mlflow/experiments/search", list(max_results = 5))
  expect_equal(kept$max_results, 5)
})

test_that("the background logger retries an overload answer too", {
  web <- stub_server()
  client <- test_client(web$url())
  logger <- start_background_logger(client, "queuepool-1", 60)
  withr::defer(stop_background_logger("queuepool-1"))
  for (i in 1:10) mlflow_log_metric("m", i, step = i, run_id = "queuepool-1", client = client)
  mlflow_flush("queuepool-1")
  bodies <- mlflow_request(client, "GET", "/batches")$bodies
  steps <- unlist(lapply(bodies, function(b) {
    vapply(jsonlite::fromJSON(b, simplifyVector = FALSE)$metrics, function(m) as.numeric(m$step), 0)
  }))
  expect_equal(sort(steps), 1:10)
  expect_equal(mlflow_request(client, "GET", "/hits/batch-queuepool-1")$hits, 2)
})
