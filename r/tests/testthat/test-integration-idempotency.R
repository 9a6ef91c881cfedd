# Idempotency keys against a live server: retried and concurrent starts make one run.

runs_with_key <- function(client, exp, key) {
  found <- mlflow_call_operation("searchRuns", experiment_ids = list(exp), run_view_type = "ACTIVE_ONLY",
                                 filter = sprintf("tags.`mlflowrest.idempotency_key` = '%s'", key),
                                 client = client)$runs
  vapply(found, function(r) r$info$run_id, character(1))
}

test_that("a retried task resumes its run; a finished one is left alone", {
  client <- live_client()
  exp <- mlflow_create_experiment(unique_name("idem"), client = client)
  key <- "job-1/group-7"
  first <- mlflow_start_run(experiment_id = exp, idempotency_key = key, client = client)
  mlflow_log_param("alpha", "0.5", run_id = first$run_id, client = client)
  mlflow_end_run("FAILED", run_id = first$run_id, client = client)

  second <- mlflow_start_run(experiment_id = exp, idempotency_key = key, client = client)
  expect_true(attr(second, "resumed"))
  expect_false(attr(second, "already_finished"))
  expect_equal(second$run_id, first$run_id)
  expect_equal(mlflow_get_run(first$run_id, client = client)$status, "RUNNING")
  mlflow_end_run("FINISHED", run_id = second$run_id, client = client)
  ended <- mlflow_get_run(first$run_id, client = client)$end_time

  third <- mlflow_start_run(experiment_id = exp, idempotency_key = key, client = client)
  expect_true(attr(third, "already_finished"))
  mlflow_end_run("FINISHED", run_id = third$run_id, client = client)
  expect_equal(mlflow_get_run(first$run_id, client = client)$end_time, ended)
  expect_equal(runs_with_key(client, exp, key), first$run_id)
})

test_that("concurrent starters with one key end with one run", {
  client <- live_client()
  exp <- mlflow_create_experiment(unique_name("idem-race"), client = client)
  dir <- withr::local_tempdir()
  starters <- 4L
  script <- file.path(dir, "start.R")
  go <- file.path(dir, "go")
  writeLines(c(
    "args <- commandArgs(TRUE)",
    "library(mlflowrest)",
    "deadline <- Sys.time() + 60",
    "while (!file.exists(args[2]) && Sys.time() < deadline) Sys.sleep(0.01)",
    "run <- mlflow_start_run(experiment_id = args[1], idempotency_key = 'speculative', client = mlflow_client())",
    "writeLines(run$run_id, args[3])"
  ), script)
  outs <- file.path(dir, paste0("out-", seq_len(starters)))
  libs <- paste0("R_LIBS=", paste(normalizePath(.libPaths()), collapse = .Platform$path.sep))
  for (out in outs) {
    system2(file.path(R.home("bin"), "Rscript"), c(script, exp, go, out), wait = FALSE, env = libs)
  }
  Sys.sleep(2) # the starters load the package, then all wait for the same file
  file.create(go)
  deadline <- Sys.time() + 120
  while (!all(file.exists(outs)) && Sys.time() < deadline) Sys.sleep(0.1)
  expect_true(all(file.exists(outs)))
  got <- unique(vapply(outs, function(f) readLines(f)[1], character(1)))
  expect_length(got, 1)
  expect_equal(runs_with_key(client, exp, "speculative"), got)
})

test_that("a bad idempotency key is a classed error naming the field", {
  for (bad in list("", "it's", "a\"b", strrep("x", 251), c("a", "b"))) {
    nowhere <- mlflow_client("http://127.0.0.1:9")
    err <- expect_error(mlflow_start_run(experiment_id = "0", idempotency_key = bad, client = nowhere),
                        class = "mlflowrest_invalid_parameter_value")
    expect_equal(err$field, "idempotency_key")
  }
})
