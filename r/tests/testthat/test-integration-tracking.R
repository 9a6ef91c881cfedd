# Experiments, runs, params, metrics and tags against a live MLflow server.

test_that("experiments: create, get by id and name, rename, tag, delete, restore, search", {
  client <- live_client()
  name <- unique_name("exp")
  id <- mlflow_create_experiment(name, client = client, tags = list(team = "r"))
  expect_type(id, "character")
  by_id <- mlflow_get_experiment(id, client = client)
  expect_equal(by_id$name, name)
  expect_equal(mlflow_get_experiment(name = name, client = client)$experiment_id, id)
  expect_true("team" %in% by_id$tags[[1]]$key)

  expect_error(mlflow_create_experiment(name, client = client),
               class = "mlflowrest_resource_already_exists")

  mlflow_rename_experiment(paste0(name, "-renamed"), experiment_id = id, client = client)
  mlflow_set_experiment_tag("stage", "dev", experiment_id = id, client = client)
  renamed <- mlflow_get_experiment(id, client = client)
  expect_equal(renamed$name, paste0(name, "-renamed"))
  expect_equal(renamed$tags[[1]]$value[renamed$tags[[1]]$key == "stage"], "dev")
  mlflow_delete_experiment_tag("stage", experiment_id = id, client = client)
  expect_false("stage" %in% mlflow_get_experiment(id, client = client)$tags[[1]]$key)

  found <- mlflow_search_experiments(filter = sprintf("name = '%s-renamed'", name), client = client)
  expect_equal(found$experiments$experiment_id, id)

  mlflow_delete_experiment(id, client = client)
  expect_equal(mlflow_get_experiment(id, client = client)$lifecycle_stage, "deleted")
  mlflow_restore_experiment(id, client = client)
  expect_equal(mlflow_get_experiment(id, client = client)$lifecycle_stage, "active")
})

test_that("search_experiments follows page tokens up to max_results", {
  client <- live_client()
  prefix <- unique_name("page")
  for (i in 1:5) mlflow_create_experiment(sprintf("%s-%d", prefix, i), client = client)
  three <- mlflow_search_experiments(filter = sprintf("name LIKE '%s-%%'", prefix), max_results = 3,
                                     client = client)
  expect_equal(nrow(three$experiments), 3)
  expect_false(is.null(three$next_page_token))
  all <- mlflow_search_experiments(filter = sprintf("name LIKE '%s-%%'", prefix), client = client)
  expect_equal(nrow(all$experiments), 5)
})

test_that("a missing experiment or run is resource_does_not_exist", {
  client <- live_client()
  expect_error(mlflow_get_experiment("987654321", client = client),
               class = "mlflowrest_resource_does_not_exist")
  err <- expect_error(mlflow_get_run("0123456789abcdef0123456789abcdef", client = client),
                      class = "mlflowrest_resource_does_not_exist")
  expect_equal(err$http_status, 404L)
  expect_equal(err$error_code, "RESOURCE_DOES_NOT_EXIST")
})

test_that("with(mlflow_start_run(), ...) logs and ends the run FINISHED", {
  local_experiment()
  value <- with(mlflow_start_run(), {
    mlflow_log_param("ntree", 500)
    mlflow_log_metric("auc", 0.91)
    mlflow_log_metric("auc", 0.93, step = 1)
    mlflow_log_metric("weird", NaN)
    mlflow_log_metric("weird", -Inf, step = 1)
    mlflow_set_tag("owner", "analyst")
    mlflow_set_tag("temp", "x")
    mlflow_delete_tag("temp")
    run_id <- mlflow_get_run()$run_id
    "block value"
  })
  expect_equal(value, "block value")
  expect_null(mlflowrest:::active_run_id())
  run <- mlflow_get_run(run_id)
  expect_equal(run$status, "FINISHED")
  expect_equal(run$params[[1]]$value[run$params[[1]]$key == "ntree"], "500")
  tags <- run$tags[[1]]
  expect_equal(tags$value[tags$key == "owner"], "analyst")
  expect_false("temp" %in% tags$key)
  expect_equal(tags$value[tags$key == "mlflow.source.type"], "LOCAL")
  history <- mlflow_get_metric_history("auc", run_id = run_id)
  expect_equal(history$value, c(0.91, 0.93))
  expect_equal(history$step, c(0, 1))
  weird <- mlflow_get_metric_history("weird", run_id = run_id)
  expect_true(is.nan(weird$value[1]))
  expect_true(weird$value[2] < -1e300)  # the SQL store keeps -Inf as -max double
})

test_that("an error inside with() ends the run FAILED and propagates", {
  local_experiment()
  run <- mlflow_start_run()
  expect_error(with(run, stop("model did not converge")), "model did not converge")
  expect_equal(mlflow_get_run(run$run_id)$status, "FAILED")
  expect_null(mlflowrest:::active_run_id())
})

test_that("a second active run needs nested = TRUE and records its parent", {
  local_experiment()
  parent <- mlflow_start_run()
  expect_error(mlflow_start_run(), class = "mlflowrest_error")
  child <- mlflow_start_run(nested = TRUE)
  tags <- child$tags[[1]]
  expect_equal(tags$value[tags$key == "mlflow.parentRunId"], parent$run_id)
  mlflow_end_run()
  mlflow_end_run()
  expect_equal(mlflow_get_run(parent$run_id)$status, "FINISHED")
})

test_that("log_batch sends any amount in chunks the server accepts", {
  local_experiment()
  with(mlflow_start_run(), {
    metrics <- data.frame(key = "loss", value = seq_len(2500) / 3, step = seq_len(2500))
    params <- stats::setNames(as.list(seq_len(150)), sprintf("p%03d", seq_len(150)))
    requests <- mlflow_log_batch(metrics = metrics, params = params, tags = list(batch = "yes"))
    expect_gte(requests, 3)
    run <- mlflow_get_run()
    history <- mlflow_get_metric_history("loss")
  })
  expect_equal(nrow(run$params[[1]]), 150)
  expect_equal(nrow(history), 2500)
  expect_equal(sort(history$value), seq_len(2500) / 3)
})

test_that("delete and restore a run; search_runs pages up to max_results", {
  exp_id <- local_experiment()
  ids <- vapply(1:4, function(i) {
    run <- mlflow_start_run()
    mlflow_log_metric("i", i)
    mlflow_end_run()
    run$run_id
  }, character(1))
  runs <- mlflow_search_runs(experiment_ids = exp_id, order_by = "metrics.i DESC")
  expect_equal(runs$run_id, rev(ids))
  expect_equal(nrow(mlflow_search_runs(max_results = 3)), 3)
  expect_equal(mlflow_search_runs(filter = "metrics.i = 2")$run_id, ids[2])

  info <- mlflow_update_run(ids[2], run_name = "renamed-run")
  expect_equal(info$run_name, "renamed-run")
  expect_equal(mlflow_get_run(ids[2])$run_name, "renamed-run")

  mlflow_delete_run(ids[1])
  expect_equal(nrow(mlflow_search_runs()), 3)
  expect_equal(nrow(mlflow_search_runs(run_view_type = "ALL")), 4)
  mlflow_restore_run(ids[1])
  expect_equal(nrow(mlflow_search_runs()), 4)
})

test_that("MLFLOW_RUN_ID resumes a run; a client-created run works with with()", {
  client <- live_client()
  exp_id <- local_experiment()
  created <- mlflow_start_run(experiment_id = exp_id, client = client)
  expect_null(mlflowrest:::active_run_id())
  with(created, mlflow_log_param("x", "1", run_id = created$run_id, client = client))
  expect_equal(mlflow_get_run(created$run_id, client = client)$status, "FINISHED")

  withr::local_envvar(MLFLOW_RUN_ID = created$run_id)
  resumed <- mlflow_start_run()
  expect_equal(resumed$run_id, created$run_id)
  expect_equal(resumed$status, "RUNNING")
  mlflow_log_param("y", "2")
  mlflow_end_run()
  params <- mlflow_get_run(created$run_id)$params[[1]]
  expect_setequal(params$key, c("x", "y"))
  expect_equal(mlflow_get_experiment()$experiment_id, exp_id)
})

test_that("a background run stores every one of 10,000 steps by the end of the run", {
  local_experiment()
  run <- mlflow_start_run(background = TRUE)
  for (step in 0:9999) mlflow_log_metric("loss", 1 / (step + 1), step = step)
  mlflow_log_metric("acc", NaN, step = 0)
  mlflow_end_run()
  expect_null(mlflowrest:::background_logger(run$run_id))
  history <- mlflow_get_metric_history("loss", run_id = run$run_id)
  expect_equal(nrow(history), 10000)
  history <- history[order(history$step), ]
  expect_equal(history$step, 0:9999, ignore_attr = TRUE)
  expect_equal(history$value, 1 / (1:10000), ignore_attr = TRUE)
  expect_true(is.nan(mlflow_get_metric_history("acc", run_id = run$run_id)$value))
  expect_equal(mlflow_get_run(run$run_id)$status, "FINISHED")
})

test_that("runs a script never ended are ended at exit: FINISHED, or FAILED on an error or Ctrl-C", {
  client <- live_client()
  exp_id <- mlflow_create_experiment(unique_name("exit"), client = client)
  ending <- c(finish = "", raise = "stop('diverged')",
              interrupt = "tools::pskill(Sys.getpid(), tools::SIGINT); Sys.sleep(30)",
              term = "tools::pskill(Sys.getpid(), tools::SIGTERM); Sys.sleep(30)")
  # SIGTERM ends R without exit code (r/README.md): the run stays RUNNING.
  want <- c(finish = "FINISHED", raise = "FAILED", interrupt = "FAILED", term = "RUNNING")
  for (mode in names(ending)) {
    script <- withr::local_tempfile(fileext = ".R")
    writeLines(c(
      "library(mlflowrest)",
      sprintf("run <- mlflow_start_run(experiment_id = '%s', background = TRUE)", exp_id),
      "cat(run$run_id, '\\n', sep = '', file = Sys.getenv('RUN_ID_FILE'))",
      "for (step in 0:1499) mlflow_log_metric('loss', step, step = step)",
      ending[[mode]]), script)
    id_file <- withr::local_tempfile()
    status <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", shQuote(script)),
                      env = c(paste0("R_LIBS=", paste(.libPaths(), collapse = .Platform$path.sep)),
                              paste0("RUN_ID_FILE=", id_file)),
                      stdout = FALSE, stderr = FALSE, timeout = 120)
    expect_equal(status != 0L, mode != "finish", info = mode)
    run_id <- readLines(id_file)
    expect_equal(mlflow_get_run(run_id, client = client)$status, want[[mode]], info = mode)
    if (mode != "term") {
      expect_equal(nrow(mlflow_get_metric_history("loss", run_id = run_id, client = client)), 1500, info = mode)
    }
  }
})
