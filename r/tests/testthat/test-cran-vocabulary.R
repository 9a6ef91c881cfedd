# The CRAN functions that need no server, and the shapes and classes CRAN documents,
# read back from the live server.

test_that("mlflow_param reads --name value and --name=value given to mlflow_source", {
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    "cat(sprintf('%s|%s|%s|%s', class(mlflow_param('alpha', 0.1)), mlflow_param('alpha', 0.1),",
    "            mlflow_param('n_trees', 1L, 'integer'), mlflow_param('label', 'x')), '\\n')"
  ), script)
  out <- system2(file.path(R.home("bin"), "Rscript"),
                 c("-e", shQuote(sprintf("library(mlflowrest); mlflow_source('%s')", script)),
                   "--args", "--alpha", "0.7", "--n-trees=25"),
                 stdout = TRUE, stderr = TRUE, timeout = 120,
                 env = c(paste0("R_LIBS=", paste(.libPaths(), collapse = ":")), "MLFLOW_TRACKING_URI="))
  expect_equal(trimws(tail(out, 1)), "numeric|0.7|25|x")
  expect_equal(mlflow_param("absent", 3L), 3L)
  expect_error(mlflow_param("absent"), class = "mlflowrest_invalid_parameter_value")
  expect_error(mlflow_param("absent", "x", "integer"), class = "mlflowrest_invalid_parameter_value")
  expect_equal(mlflowrest:::parse_command_line(c("--a", "1", "--b-c=two", "stray")),
               list(a = 1L, b_c = "two"))
})

test_that("mlflow_server and mlflow_ui without an mlflow executable raise a classed error", {
  withr::local_envvar(MLFLOW_BIN = "no-such-mlflow-executable", MLFLOW_TRACKING_URI = NA)
  old <- mlflowrest:::.globals$tracking_uri
  assign("tracking_uri", NULL, envir = mlflowrest:::.globals)
  withr::defer(assign("tracking_uri", old, envir = mlflowrest:::.globals))
  expect_error(mlflow_server(), class = "mlflowrest_cli_not_found")
  expect_error(mlflow_ui(), class = "mlflowrest_cli_not_found")
  expect_message(expect_false(install_mlflow()), "needs no Python")
})

test_that("mlflow_ui names the tracking server's page when one is configured", {
  withr::local_envvar(MLFLOW_TRACKING_URI = "http://127.0.0.1:5999")
  old <- mlflowrest:::.globals$tracking_uri
  assign("tracking_uri", NULL, envir = mlflowrest:::.globals)
  withr::defer(assign("tracking_uri", old, envir = mlflowrest:::.globals))
  expect_message(url <- mlflow_ui(), "127.0.0.1:5999")
  expect_equal(url, "http://127.0.0.1:5999")
})

test_that("search_runs is a tibble with CRAN's columns and types; ids and classes", {
  local_experiment()
  client <- live_client()
  seen <- new.env()
  mlflow_register_external_observer(list(register_tracking_event = function(event, data) {
    assign(event, data, envir = seen)
  }))
  withr::defer(options(MLflowObservers = NULL))
  exp_id <- mlflow_create_experiment(unique_name("vocab"))
  expect_equal(seen$create_experiment$experiment_id, exp_id)
  run <- mlflow_start_run(experiment_id = exp_id)
  expect_s3_class(run, c("mlflow_run", "tbl_df"))
  expect_equal(mlflow_id(run), run$run_id)
  expect_equal(seen$create_run$run_id, run$run_id)
  mlflow_log_param("alpha", 0.5)
  mlflow_log_metric("rmse", 0.25, step = 3)
  mlflow_set_tag("team", "r")
  expect_equal(seen$log_metric$value, 0.25)
  mlflow_end_run()
  expect_equal(seen$set_terminated$status, "FINISHED")

  # The run's experiment became the active one: search_runs() without ids finds the run.
  runs <- mlflow_search_runs()
  expect_s3_class(runs, "tbl_df")
  expect_equal(runs$run_id, run$run_id)
  expect_true(all(c("run_uuid", "experiment_id", "user_id", "status", "start_time", "end_time",
                    "artifact_uri", "lifecycle_stage", "run_id", "metrics", "params", "tags")
                  %in% names(runs)))
  expect_s3_class(runs$start_time, "POSIXct")
  expect_s3_class(runs$end_time, "POSIXct")
  expect_true(nzchar(runs$user_id))
  metrics <- runs$metrics[[1]]
  expect_s3_class(metrics, "tbl_df")
  expect_equal(metrics$value[metrics$key == "rmse"], 0.25)
  expect_equal(metrics$step[metrics$key == "rmse"], 3)
  expect_s3_class(metrics$timestamp, "POSIXct")
  params <- runs$params[[1]]
  expect_equal(params$value[params$key == "alpha"], "0.5")
  expect_equal(runs$tags[[1]]$value[runs$tags[[1]]$key == "team"], "r")

  experiment <- mlflow_get_experiment(experiment_id = exp_id)
  expect_s3_class(experiment, c("mlflow_experiment", "tbl_df"))
  expect_equal(mlflow_id(experiment), exp_id)
  expect_s3_class(experiment$creation_time, "POSIXct")
  history <- mlflow_get_metric_history("rmse", run_id = run$run_id)
  expect_s3_class(history, "tbl_df")
  expect_error(mlflow_id(list()), class = "mlflowrest_error")
})

test_that("the export list in r/README.md matches the package and CRAN's list", {
  readme <- test_path("..", "..", "README.md")
  skip_if_not(file.exists(readme), "r/README.md is not shipped in the built package")
  lines <- readLines(readme)
  rows <- grep("^\\| `[a-z_]+` \\|", lines, value = TRUE)
  cells <- strsplit(sub("^\\|", "", rows), "|", fixed = TRUE)
  table <- data.frame(
    name = gsub("`|\\s", "", vapply(cells, `[`, "", 1)),
    here = trimws(vapply(cells, `[`, "", 2)),
    reason = trimws(vapply(cells, `[`, "", 3)),
    stringsAsFactors = FALSE)
  ours <- getNamespaceExports("mlflowrest")
  expect_gte(nrow(table), 50)
  present <- table$name[table$here == "yes"]
  absent <- table[table$here == "no", ]
  expect_true(all(present %in% ours), info = paste(setdiff(present, ours), collapse = ", "))
  expect_false(any(absent$name %in% ours))
  expect_true(all(nzchar(absent$reason)))
  # Every export is either one of CRAN's or listed as beyond CRAN.
  beyond <- regmatches(lines, gregexpr("`mlflow_[a-z_]+`", lines))[[grep("^Beyond CRAN:", lines)]]
  expect_setequal(setdiff(ours, table$name), gsub("`", "", beyond))
})
