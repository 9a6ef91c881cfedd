# Artifacts through the proxied endpoints, models, and the registry, on a live server.

test_that("files and directories round-trip as artifacts", {
  local_experiment()
  dir <- withr::local_tempdir()
  writeLines("a", file.path(dir, "a.txt"))
  dir.create(file.path(dir, "sub"))
  writeBin(as.raw(0:255), file.path(dir, "sub", "bytes.bin"))
  single <- withr::local_tempfile(fileext = ".csv")
  utils::write.csv(data.frame(x = 1:3), single, row.names = FALSE)

  with(mlflow_start_run(), {
    mlflow_log_artifact(single)
    mlflow_log_artifact(dir, artifact_path = "bundle")
    top <- mlflow_list_artifacts()
    inside <- mlflow_list_artifacts("bundle")
    got_dir <- mlflow_download_artifacts("bundle")
    got_file <- mlflow_download_artifacts(basename(single))
  })
  expect_setequal(top$path, c(basename(single), "bundle"))
  expect_setequal(inside$path, c("bundle/a.txt", "bundle/sub"))
  expect_equal(inside$is_dir[inside$path == "bundle/sub"], TRUE)
  expect_equal(readLines(file.path(got_dir, "a.txt")), "a")
  expect_equal(readBin(file.path(got_dir, "sub", "bytes.bin"), raw(), 1000), as.raw(0:255))
  expect_equal(utils::read.csv(got_file)$x, 1:3)
})

test_that("a missing artifact is resource_does_not_exist and writes nothing", {
  local_experiment()
  dst <- withr::local_tempdir()
  with(mlflow_start_run(), {
    expect_error(mlflow_download_artifacts("nope.txt", dst_path = dst),
                 class = "mlflowrest_resource_does_not_exist")
  })
  expect_length(list.files(dst, all.files = TRUE, no.. = TRUE), 0)
})

test_that("a nested folder and a file in it download by their paths", {
  local_experiment()
  dir <- withr::local_tempdir()
  dir.create(file.path(dir, "sub", "deeper"), recursive = TRUE)
  writeLines("b", file.path(dir, "sub", "b.txt"))
  writeLines("c", file.path(dir, "sub", "deeper", "c.txt"))
  dst <- withr::local_tempdir()
  with(mlflow_start_run(), {
    mlflow_log_artifact(dir, artifact_path = "tree")
    got <- mlflow_download_artifacts("tree/sub", dst_path = dst)
    one <- mlflow_download_artifacts("tree/sub/b.txt", dst_path = dst)
  })
  expect_equal(basename(got), "sub")
  expect_setequal(list.files(got, recursive = TRUE), c("b.txt", "deeper/c.txt"))
  expect_equal(readLines(file.path(got, "deeper", "c.txt")), "c")
  expect_equal(readLines(one), "b")
  expect_length(list.files(dst, pattern = "[.]part$", recursive = TRUE, all.files = TRUE), 0)
})

test_that("a crated model is logged, loaded back and predicts", {
  local_experiment()
  fit <- stats::lm(dist ~ speed, data = datasets::cars)
  model <- mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit)
  with(mlflow_start_run(), {
    uri <- mlflow_log_model(model, "model")
    run <- mlflow_get_run()
  })
  expect_equal(uri, sprintf("runs:/%s/model", run$run_id))
  tags <- run$tags[[1]]
  expect_match(tags$value[tags$key == "mlflow.log-model.history"], "crate")
  loaded <- mlflow_load_model(uri)
  newdata <- data.frame(speed = c(10, 20))
  expect_equal(mlflow_predict(loaded, newdata), stats::predict(fit, newdata))

  local <- withr::local_tempdir()
  mlflow_save_model(model, file.path(local, "m"))
  expect_true(file.exists(file.path(local, "m", "MLmodel")))
  expect_equal(mlflow_predict(mlflow_load_model(file.path(local, "m")), newdata),
               stats::predict(fit, newdata))
  global_fn <- function(x) x
  environment(global_fn) <- globalenv()
  expect_error(mlflow_save_model(global_fn, file.path(local, "g")), class = "mlflowrest_error")
})

test_that("the registry: models, versions, stages, tags, aliases, search by GET", {
  client <- live_client()
  local_experiment()
  fit_model <- mlflow_crate(function(x) x * k, k = 3)
  with(mlflow_start_run(), {
    uri <- mlflow_log_model(fit_model, "model")
    run_id <- mlflow_get_run()$run_id
  })
  name <- unique_name("model")
  created <- mlflow_create_registered_model(name, tags = list(team = "r"), description = "first",
                                            client = client)
  expect_equal(created$name, name)
  expect_error(mlflow_create_registered_model(name, client = client),
               class = "mlflowrest_resource_already_exists")
  expect_equal(mlflow_update_registered_model(name, "second", client = client)$description, "second")

  version <- mlflow_create_model_version(name, source = uri, run_id = run_id, client = client)
  expect_equal(version$version, "1")
  expect_equal(mlflow_get_model_version(name, 1, client = client)$run_id, run_id)
  expect_equal(mlflow_update_model_version(name, 1, "v1 notes", client = client)$description, "v1 notes")
  mlflow_set_model_version_tag(name, 1, key = "validated", value = "yes", client = client)
  staged <- mlflow_transition_model_version_stage(name, 1, "Staging", client = client)
  expect_equal(staged$current_stage, "Staging")
  latest <- mlflow_get_latest_versions(name, stages = list("Staging"), client = client)
  expect_equal(latest[[1]]$version, "1")

  mlflow_set_registered_model_alias(name, "champion", 1, client = client)
  expect_equal(mlflow_get_model_version_by_alias(name, "champion", client = client)$version, "1")
  expect_equal(mlflow_predict(mlflow_load_model(sprintf("models:/%s@champion", name), client = client), 2), 6)
  expect_equal(mlflow_predict(mlflow_load_model(sprintf("models:/%s/1", name), client = client), 2), 6)
  mlflow_delete_registered_model_alias(name, "champion", client = client)
  expect_error(mlflow_get_model_version_by_alias(name, "champion", client = client),
               class = "mlflowrest_api_error")

  mlflow_set_registered_model_tag(name, "owner", "r-team", client = client)
  tags <- mlflow_get_registered_model(name, client = client)$tags
  expect_true("owner" %in% vapply(tags, function(t) t$key, ""))
  mlflow_delete_registered_model_tag(name, "owner", client = client)
  tags <- mlflow_get_registered_model(name, client = client)$tags
  expect_false("owner" %in% vapply(tags, function(t) t$key, ""))
  mlflow_delete_model_version_tag(name, 1, "validated", client = client)
  # What is left is the SDK's request-id tag, which MLflow's UI hides (an `mlflow.` key).
  left <- vapply(mlflow_get_model_version(name, 1, client = client)$tags, function(t) t$key, "")
  expect_false("validated" %in% left)
  expect_true(all(startsWith(left, "mlflow.")))
  versions <- mlflow_search_model_versions(filter = sprintf("name = '%s'", name), client = client)
  expect_equal(vapply(versions$model_versions, function(v) v$version, ""), "1")

  found <- mlflow_search_registered_models(filter = sprintf("name = '%s'", name), client = client)
  expect_equal(length(found$registered_models), 1)
  expect_equal(mlflow_get_registered_model(name, client = client)$description, "second")

  renamed <- mlflow_rename_registered_model(name, paste0(name, "-b"), client = client)
  expect_equal(renamed$name, paste0(name, "-b"))
  mlflow_delete_model_version(paste0(name, "-b"), 1, client = client)
  mlflow_delete_registered_model(paste0(name, "-b"), client = client)
  expect_error(mlflow_get_registered_model(paste0(name, "-b"), client = client),
               class = "mlflowrest_resource_does_not_exist")
})
