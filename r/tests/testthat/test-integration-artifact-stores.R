# Artifacts and models against a live server whose artifacts live where the harness put
# them (`python -m tests.harness run --artifacts <backend>`; MLFLOWREST_ARTIFACTS names the
# backend, so a run that quietly fell back to another store fails). Run per backend by
# `make test-r-stores`; under plain `make test-r` they run against the proxied store.

backend_scheme <- c(proxied = "mlflow-artifacts", s3 = "s3", azure = "wasbs", path = "file",
                    databricks = "dbfs")

expect_backend <- function(artifact_uri, client) {
  backend <- Sys.getenv("MLFLOWREST_ARTIFACTS", "proxied")
  expect_equal(artifact_store(artifact_uri, client)$scheme, backend_scheme[[backend]])
}

nested_folder <- function() {
  dir <- withr::local_tempdir(.local_envir = parent.frame())
  dir.create(file.path(dir, "train", "deep"), recursive = TRUE)
  dir.create(file.path(dir, "test"))
  writeLines("train rows", file.path(dir, "train", "data.csv"))
  writeLines("test rows", file.path(dir, "test", "data.csv"))
  writeBin(as.raw(rep(0:255, 4096)), file.path(dir, "train", "deep", "blob.bin"))
  dir
}

expect_same_tree <- function(got, dir) {
  files <- sort(list.files(dir, recursive = TRUE))
  expect_equal(sort(list.files(got, recursive = TRUE)), files)
  expect_equal(unname(tools::md5sum(file.path(got, files))), unname(tools::md5sum(file.path(dir, files))))
}

test_that("fluent API: a nested folder keeps its tree, lists and downloads back", {
  client <- live_client()
  local_experiment()
  dir <- nested_folder()
  with(mlflow_start_run(), {
    mlflow_log_artifact(dir, artifact_path = "ds")
    run <- mlflow_get_run()
  })
  expect_backend(run$artifact_uri, client)
  listing <- mlflow_list_artifacts("ds", run_id = run$run_id)
  expect_setequal(listing$path, c("ds/train", "ds/test"))
  got <- mlflow_download_artifacts("ds", run_id = run$run_id, dst_path = withr::local_tempdir())
  expect_same_tree(got, dir)
  one <- mlflow_download_artifacts(sprintf("runs:/%s/ds/test/data.csv", run$run_id),
                                   dst_path = withr::local_tempdir())
  expect_equal(readLines(one), "test rows")
})

test_that("resource API (client =): the same tree, and a missing file is resource_does_not_exist", {
  client <- live_client()
  experiment_id <- mlflow_create_experiment(unique_name("stores"), client = client)
  run <- mlflow_start_run(experiment_id = experiment_id, client = client)
  dir <- nested_folder()
  mlflow_log_artifact(dir, artifact_path = "ds", run_id = run$run_id, client = client)
  got <- mlflow_download_artifacts("", run_id = run$run_id, client = client, dst_path = withr::local_tempdir())
  expect_same_tree(file.path(got, "ds"), dir)
  err <- expect_error(mlflow_download_artifacts("ds/nope.csv", run_id = run$run_id, client = client,
                                                dst_path = withr::local_tempdir()),
                      class = "mlflowrest_resource_does_not_exist")
  expect_equal(err$error_code, "RESOURCE_DOES_NOT_EXIST")
})

test_that("models: runs:/, models:/name/version, @alias and /stage load through the store", {
  client <- live_client()
  local_experiment()
  with(mlflow_start_run(), {
    uri <- mlflow_log_model(mlflow_crate(function(x) x * k, k = 7), "model")
    run <- mlflow_get_run()
  })
  expect_backend(run$artifact_uri, client)
  name <- unique_name("store-model")
  mlflow_create_registered_model(name, client = client)
  mlflow_create_model_version(name, source = uri, run_id = run$run_id, client = client)
  mlflow_set_registered_model_alias(name, "champion", 1, client = client)
  mlflow_transition_model_version_stage(name, 1, "Production", client = client)
  for (model_uri in c(uri, sprintf("models:/%s/1", name), sprintf("models:/%s@champion", name),
                      sprintf("models:/%s/Production", name))) {
    expect_equal(mlflow_predict(mlflow_load_model(model_uri, client = client), 2), 14, label = model_uri)
  }
  got <- mlflow_download_artifacts(sprintf("models:/%s@champion", name), client = client,
                                   dst_path = withr::local_tempdir())
  expect_true(file.exists(file.path(got, "MLmodel")))
})

test_that("an MLflow 3 logged model (models:/m-...) is written and read where the server keeps it", {
  client <- live_client()
  experiment_id <- mlflow_create_experiment(unique_name("logged"), client = client)
  model <- mlflow_call_operation("createLoggedModel", experiment_id = experiment_id, name = "m",
                                 client = client)$model$info
  expect_backend(model$artifact_uri, client)
  saved <- file.path(withr::local_tempdir(), "m")
  mlflow_save_model(mlflow_crate(function(x) x + k, k = 10), saved)
  store <- artifact_store(model$artifact_uri, client)
  for (f in list.files(saved)) store$upload(file.path(saved, f), f)
  loaded <- mlflow_load_model(sprintf("models:/%s", model$model_id), client = client)
  expect_equal(mlflow_predict(loaded, 1), 11)
})

test_that("a file above the store's single-request size goes up in parts and comes back whole", {
  backend <- Sys.getenv("MLFLOWREST_ARTIFACTS", "proxied")
  skip_if_not(backend %in% c("s3", "azure", "databricks"), "only S3, Azure and Databricks upload in parts")
  client <- live_client()
  withr::local_envvar(MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE = "6000000",
                      MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE = as.character(5 * 1024^2))
  experiment_id <- mlflow_create_experiment(unique_name("parts"), client = client)
  run <- mlflow_start_run(experiment_id = experiment_id, client = client)
  # Azure puts a blob whole up to 64 MiB, so its file is larger.
  size <- if (backend == "azure") 70 * 1024^2 else 12 * 1024^2 + 123
  big <- file.path(withr::local_tempdir(), "parts.bin")
  writeBin(as.raw(sample.int(256L, size, replace = TRUE) - 1L), big)
  mlflow_log_artifact(big, artifact_path = "p", run_id = run$run_id, client = client)
  listing <- mlflow_list_artifacts("p", run_id = run$run_id, client = client)
  expect_equal(listing$file_size, size)
  got <- mlflow_download_artifacts("p/parts.bin", run_id = run$run_id, client = client,
                                   dst_path = withr::local_tempdir())
  expect_equal(unname(tools::md5sum(got)), unname(tools::md5sum(big)))
})

# One 1 GB file up and down (S3, and through the Databricks stand-in): multipart, streamed
# from disk, with the process's peak resident memory printed and bounded well below 1 GB.
test_that("a 1 GB artifact goes up and down with flat memory", {
  skip_if_not(Sys.getenv("MLFLOWREST_ARTIFACTS") %in% c("s3", "databricks"),
              "the 1 GB file runs on the s3 and databricks backends")
  skip_if_not(Sys.getenv("MLFLOWREST_LARGE_FILE") == "1", "MLFLOWREST_LARGE_FILE=1 runs the 1 GB file")
  client <- live_client()
  experiment_id <- mlflow_create_experiment(unique_name("gigabyte"), client = client)
  run <- mlflow_start_run(experiment_id = experiment_id, client = client)
  big <- file.path(withr::local_tempdir(), "big.bin")
  block <- as.raw(sample.int(256L, 1024^2, replace = TRUE) - 1L)
  con <- file(big, "wb")
  for (i in seq_len(1024)) writeBin(block, con)
  close(con)
  mlflow_log_artifact(big, run_id = run$run_id, client = client)
  got <- mlflow_download_artifacts("big.bin", run_id = run$run_id, client = client,
                                   dst_path = withr::local_tempdir())
  expect_equal(file.size(got), 1024^3)
  expect_equal(unname(tools::md5sum(got)), unname(tools::md5sum(big)))
  status <- readLines("/proc/self/status")
  peak_kb <- as.numeric(gsub("[^0-9]", "", status[startsWith(status, "VmHWM:")]))
  message(sprintf("R 1 GB artifact (%s): peak RSS %.0f MB", Sys.getenv("MLFLOWREST_ARTIFACTS"), peak_kb / 1024))
  expect_lt(peak_kb / 1024, 400)
})
