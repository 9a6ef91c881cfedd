# Configuration from the environment, and secrets kept out of printed output and errors.

test_that("the bearer token is sent and never shown", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_TRACKING_TOKEN = "s3cr3t-token")
  expect_equal(mlflow_request(client, "GET", "/auth-check")$authorization, "Bearer s3cr3t-token")
  shown <- c(capture.output(print(client)), format(client), capture.output(str(client)),
             capture.output(print(unclass(client))))
  expect_false(any(grepl("s3cr3t", shown)))
  expect_true(any(grepl("hidden", shown)))
  err <- tryCatch(mlflow_request(client, "GET", "/html-401"), error = function(e) e)
  expect_false(grepl("s3cr3t", conditionMessage(err)))
})

test_that("basic credentials are sent and the password never shown", {
  web <- stub_server()
  client <- test_client(web$url(), MLFLOW_TRACKING_USERNAME = "ann", MLFLOW_TRACKING_PASSWORD = "pa55word")
  expected <- paste("Basic", jsonlite::base64_enc("ann:pa55word"))
  expect_equal(mlflow_request(client, "GET", "/auth-check")$authorization, expected)
  shown <- c(capture.output(print(client)), capture.output(str(client)))
  expect_false(any(grepl("pa55word", shown)))
  expect_true(any(grepl("ann", shown)))
})

test_that("credentials in the URI move to basic auth and out of the URI", {
  client <- test_client("https://bob:pw%40x@mlflow.example.com/prefix")
  expect_equal(client$host, "https://mlflow.example.com/prefix")
  expect_equal(client$username, "bob")
  expect_equal(mlflowrest:::reveal(client$password), "pw@x")
  expect_false(any(grepl("pw", format(client))))
})

test_that("TLS and retry settings come from the environment", {
  client <- test_client("https://x.example.com", MLFLOW_TRACKING_INSECURE_TLS = "true",
                        MLFLOW_HTTP_REQUEST_MAX_RETRIES = "3", MLFLOW_HTTP_REQUEST_TIMEOUT = "9",
                        MLFLOW_TRACKING_SERVER_CERT_PATH = "/etc/ca.pem")
  expect_true(client$insecure)
  expect_equal(client$max_retries, 3)
  expect_equal(client$timeout, 9)
  expect_equal(client$server_cert_path, "/etc/ca.pem")
  expect_error(test_client("https://x", MLFLOW_HTTP_REQUEST_MAX_RETRIES = "many"),
               class = "mlflowrest_error")
})

test_that("databricks URIs read ~/.databrickscfg profiles, else DATABRICKS_HOST/TOKEN", {
  cfg <- withr::local_tempfile(lines = c(
    "[DEFAULT]", "host = https://default.cloud.databricks.com", "token = dapi-default",
    "", "[staging]", "host = staging.cloud.databricks.com", "token = dapi-staging"
  ))
  withr::local_envvar(DATABRICKS_CONFIG_FILE = cfg, DATABRICKS_HOST = NA, DATABRICKS_TOKEN = NA)
  staging <- test_client("databricks://staging")
  expect_equal(staging$host, "https://staging.cloud.databricks.com")
  expect_equal(mlflowrest:::reveal(staging$token), "dapi-staging")
  expect_false(any(grepl("dapi", format(staging))))
  expect_equal(test_client("databricks")$host, "https://default.cloud.databricks.com")
  expect_error(test_client("databricks://missing"), class = "mlflowrest_error")

  withr::local_envvar(DATABRICKS_CONFIG_FILE = tempfile(), DATABRICKS_HOST = "https://env.databricks.com",
                      DATABRICKS_TOKEN = "dapi-env")
  from_env <- test_client("databricks")
  expect_equal(from_env$host, "https://env.databricks.com")
  expect_equal(mlflowrest:::reveal(from_env$token), "dapi-env")
})

test_that("the tracking URI comes from mlflow_set_tracking_uri, else MLFLOW_TRACKING_URI", {
  withr::local_envvar(MLFLOW_TRACKING_URI = "http://127.0.0.1:5999")
  old <- mlflowrest:::.globals$tracking_uri
  withr::defer(assign("tracking_uri", old, envir = mlflowrest:::.globals))
  assign("tracking_uri", NULL, envir = mlflowrest:::.globals)
  expect_equal(mlflow_get_tracking_uri(), "http://127.0.0.1:5999")
  mlflow_set_tracking_uri("http://127.0.0.1:6000")
  expect_equal(mlflow_get_tracking_uri(), "http://127.0.0.1:6000")
  expect_equal(mlflow_client()$host, "http://127.0.0.1:6000")
  expect_error(mlflow_client("file:///tmp/mlruns"), class = "mlflowrest_error")
})
