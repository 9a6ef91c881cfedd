# A simulated Databricks notebook: the variables and the `.databricks_internals`
# environment a Databricks R notebook defines, and a stub SparkR namespace whose
# sparkR.conf() answers like a cluster's. Credentials are read in CRAN mlflow's order.

local_databricks_clean <- function(.env = parent.frame()) {
  withr::local_envvar(DATABRICKS_CONFIG_FILE = tempfile(), DATABRICKS_HOST = NA,
                      DATABRICKS_TOKEN = NA, DATABRICKS_USERNAME = NA, DATABRICKS_PASSWORD = NA,
                      DATABRICKS_INSECURE = NA, DATABRICKS_RUNTIME_VERSION = NA,
                      MLFLOW_TRACKING_URI = NA, MLFLOW_EXPERIMENT_ID = NA,
                      MLFLOW_EXPERIMENT_NAME = NA, .local_envir = .env)
  g <- mlflowrest:::.globals
  old <- list(uri = g$tracking_uri, exp = g$active_experiment_id)
  assign("tracking_uri", NULL, envir = g)
  assign("active_experiment_id", NULL, envir = g)
  withr::defer({
    assign("tracking_uri", old$uri, envir = g)
    assign("active_experiment_id", old$exp, envir = g)
    suppressWarnings(rm(list = intersect(ls(globalenv(), all.names = TRUE), c(
      "spark.databricks.api.url", "spark.databricks.token", ".databricks_internals")),
      envir = globalenv()))
  }, envir = .env)
}

# What a Databricks R notebook defines in the global environment.
simulate_notebook <- function(host = "https://nb.cloud.databricks.com", token = "dapi-notebook",
                              notebook = list(id = "4242", path = "/Users/ann@example.com/pima",
                                              webapp_url = "https://nb.cloud.databricks.com")) {
  if (!is.null(host)) assign("spark.databricks.api.url", host, envir = globalenv())
  if (!is.null(token)) assign("spark.databricks.token", token, envir = globalenv())
  internals <- new.env()
  internals$.get_notebook_info <- function() notebook
  assign(".databricks_internals", internals, envir = globalenv())
}

test_that("in a notebook, host and token come from the notebook and the URI defaults to databricks", {
  local_databricks_clean()
  simulate_notebook()
  expect_equal(mlflow_get_tracking_uri(), "databricks")
  client <- mlflow_client()
  expect_equal(client$host, "https://nb.cloud.databricks.com")
  expect_equal(mlflowrest:::reveal(client$token), "dapi-notebook")
  expect_false(any(grepl("dapi", format(client))))
})

test_that("each field from the environment, else the profile; the notebook fills the rest", {
  local_databricks_clean()
  simulate_notebook()
  cfg <- withr::local_tempfile(lines = c(
    "[DEFAULT]", "host = https://profile.databricks.com", "token = dapi-profile",
    "[other]", "host = https://other.databricks.com", "token = dapi-other"))
  withr::local_envvar(DATABRICKS_CONFIG_FILE = cfg)
  expect_equal(mlflow_client("databricks")$host, "https://profile.databricks.com")
  expect_equal(mlflow_client("databricks://other")$host, "https://other.databricks.com")
  withr::local_envvar(DATABRICKS_HOST = "https://env.databricks.com", DATABRICKS_TOKEN = "dapi-env")
  expect_equal(mlflow_client("databricks")$host, "https://env.databricks.com")
  expect_equal(mlflow_client("databricks://other")$host, "https://env.databricks.com")
  # Field by field: the host from the environment, the token from the profile.
  withr::local_envvar(DATABRICKS_TOKEN = NA)
  client <- mlflow_client("databricks://other")
  expect_equal(client$host, "https://env.databricks.com")
  expect_equal(mlflowrest:::reveal(client$token), "dapi-other")
  # With no profile, the notebook completes what the environment leaves out.
  withr::local_envvar(DATABRICKS_CONFIG_FILE = tempfile(), DATABRICKS_HOST = NA)
  expect_equal(mlflow_client("databricks")$host, "https://nb.cloud.databricks.com")
  expect_error(mlflow_client("databricks://other"), class = "mlflowrest_invalid_parameter_value")
})

test_that("no credentials anywhere is a classed error naming the sources", {
  local_databricks_clean()
  err <- tryCatch(mlflow_client("databricks"), error = function(e) e)
  expect_s3_class(err, "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "tracking_uri")
  expect_match(conditionMessage(err), "DATABRICKS_HOST")
})

test_that("a running SparkR session's configuration provides host and token", {
  local_databricks_clean()
  lib <- withr::local_tempdir()
  src <- file.path(withr::local_tempdir(), "SparkR")
  dir.create(file.path(src, "R"), recursive = TRUE)
  writeLines(c("Package: SparkR", "Version: 3.5.0", "Title: Stub", "Description: Stub.",
               "License: MIT", "Author: t", "Maintainer: t <t@example.org>"),
             file.path(src, "DESCRIPTION"))
  writeLines("export(sparkR.conf)", file.path(src, "NAMESPACE"))
  writeLines(c(
    "sparkR.conf <- function(key, defaultValue = NULL) {",
    "  conf <- list(spark.databricks.api.url = 'https://spark.cloud.databricks.com',",
    "               spark.databricks.token = 'dapi-spark')",
    "  if (is.null(conf[[key]])) list(defaultValue) else conf[key]",
    "}"), file.path(src, "R", "conf.R"))
  out <- system2(file.path(R.home("bin"), "R"), c("CMD", "INSTALL", "-l", lib, src),
                 stdout = TRUE, stderr = TRUE, timeout = 120)
  expect_true(dir.exists(file.path(lib, "SparkR")), info = paste(out, collapse = "\n"))
  # By variable: R CMD check would look a literal package name up in CRAN's index.
  stub <- "SparkR"
  loadNamespace(stub, lib.loc = lib)
  withr::defer(unloadNamespace(stub))
  withr::local_envvar(DATABRICKS_RUNTIME_VERSION = "15.4")
  client <- mlflow_client()
  expect_equal(client$host, "https://spark.cloud.databricks.com")
  expect_equal(mlflowrest:::reveal(client$token), "dapi-spark")
})

test_that("runs go to the notebook's experiment with the notebook's source tags", {
  local_databricks_clean()
  web <- stub_server()
  simulate_notebook(host = web$url())
  withr::local_envvar(MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR = "0", MLFLOW_HTTP_REQUEST_BACKOFF_JITTER = "0")
  # The stub has no runs/update: runs leave the active stack without being ended.
  withr::defer(while (!is.null(mlflowrest:::active_run_id())) {
    mlflowrest:::pop_active_run(mlflowrest:::active_run_id())
  })
  run <- mlflow_start_run()
  created <- jsonlite::fromJSON(mlflow_request(mlflow_client(), "GET", "/created-runs")$last,
                                simplifyVector = FALSE)
  expect_equal(created$experiment_id, "4242")
  tags <- setNames(vapply(created$tags, `[[`, "", "value"), vapply(created$tags, `[[`, "", "key"))
  expect_equal(tags[["mlflow.source.type"]], "NOTEBOOK")
  expect_equal(tags[["mlflow.source.name"]], "/Users/ann@example.com/pima")
  expect_equal(tags[["mlflow.databricks.notebookID"]], "4242")
  expect_equal(tags[["mlflow.databricks.notebookPath"]], "/Users/ann@example.com/pima")
  expect_equal(tags[["mlflow.databricks.webappURL"]], "https://nb.cloud.databricks.com")
  expect_true(nzchar(created$user_id))
  # An explicit experiment still wins over the notebook's.
  mlflowrest:::pop_active_run(run$run_id)
  mlflow_start_run(experiment_id = "7")
  created <- jsonlite::fromJSON(mlflow_request(mlflow_client(), "GET", "/created-runs")$last,
                                simplifyVector = FALSE)
  expect_equal(created$experiment_id, "7")
  expect_equal(mlflowrest:::active_experiment_id(), "7")
})
