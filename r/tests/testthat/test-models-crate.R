# The crate flavor in CRAN mlflow's on-disk format, both directions, and what MLflow's
# other clients write into MLmodel (signature, input example). No server needed.

# CRAN mlflow's loader and predictor, as its model-crate.R has them.
cran_load_flavor <- function(model_path) unserialize(readRDS(file.path(model_path, "crate.bin")))
cran_predict <- function(model, data) do.call(model, list(data))

cars_fit <- function() stats::lm(dist ~ speed, data = datasets::cars)
newdata <- data.frame(speed = c(7, 12, 23))

test_that("a model saved in CRAN's layout loads and predicts", {
  fixture <- test_path("fixtures", "cran-crate")
  model <- mlflow_load_model(fixture)
  expect_s3_class(model, "crate")
  expect_equal(mlflow_predict(model, newdata), stats::predict(cars_fit(), newdata))
})

test_that("our saved model loads through CRAN's code path", {
  path <- file.path(withr::local_tempdir(), "m")
  fit <- cars_fit()
  mlflow_save_model(mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit), path)
  spec <- yaml::read_yaml(file.path(path, "MLmodel"))
  expect_equal(spec$flavors$crate$version, "0.1.0")
  expect_equal(spec$flavors$crate$model, "crate.bin")
  expect_true(is.raw(readRDS(file.path(path, "crate.bin"))))
  loaded <- cran_load_flavor(path)
  # CRAN's mlflow_predict() dispatches on carrier's class.
  expect_s3_class(loaded, "crate")
  expect_equal(cran_predict(loaded, newdata), stats::predict(fit, newdata))
  # CRAN's own save of the same function and ours hold the same serialized crate.
  cran_path <- file.path(withr::local_tempdir(), "cran")
  dir.create(cran_path)
  saveRDS(serialize(loaded, NULL), file.path(cran_path, "crate.bin"))
  expect_identical(unserialize(readRDS(file.path(cran_path, "crate.bin"))), loaded)
})

test_that("signature and input example are written as MLflow's other clients write them", {
  path <- file.path(withr::local_tempdir(), "m")
  fit <- cars_fit()
  model <- mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit)
  example <- data.frame(speed = c(4, 10), label = c("a", "b"), n = 1:2, ok = c(TRUE, FALSE))
  mlflow_save_model(model, path, input_example = example)
  spec <- yaml::read_yaml(file.path(path, "MLmodel"))
  inputs <- jsonlite::fromJSON(spec$signature$inputs, simplifyVector = FALSE)
  expect_equal(vapply(inputs, `[[`, "", "name"), c("speed", "label", "n", "ok"))
  expect_equal(vapply(inputs, `[[`, "", "type"), c("double", "string", "integer", "boolean"))
  outputs <- jsonlite::fromJSON(spec$signature$outputs, simplifyVector = FALSE)
  expect_equal(outputs[[1]]$type, "double")
  expect_equal(spec$saved_input_example_info$type, "dataframe")
  expect_equal(spec$saved_input_example_info$pandas_orient, "split")
  saved <- jsonlite::fromJSON(file.path(path, spec$saved_input_example_info$artifact_path))
  expect_equal(saved$columns, names(example))
  expect_equal(saved$data[, 1], c("4", "10"))
  serving <- jsonlite::fromJSON(file.path(path, "serving_input_example.json"))
  expect_equal(serving$dataframe_split$columns, names(example))

  explicit <- file.path(withr::local_tempdir(), "e")
  mlflow_save_model(model, explicit, signature = list(inputs = newdata, outputs = 1.5))
  sig <- yaml::read_yaml(file.path(explicit, "MLmodel"))$signature
  expect_equal(jsonlite::fromJSON(sig$inputs)$name, "speed")
  expect_equal(jsonlite::fromJSON(sig$outputs)$type, "double")
  expect_error(mlflow_save_model(model, explicit, signature = list(outputs = 1)),
               class = "mlflowrest_invalid_parameter_value")
})

test_that("the packages a crate needs are recorded and loaded in a fresh session", {
  skip_if_not_installed("randomForest")
  path <- file.path(withr::local_tempdir(), "rf")
  data("Pima.tr", package = "MASS", envir = environment())
  set.seed(1)
  fit <- randomForest::randomForest(type ~ ., data = Pima.tr, ntree = 20)
  # No loadNamespace() inside: the method predict.randomForest must come from the record.
  mlflow_save_model(mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit), path)
  spec <- yaml::read_yaml(file.path(path, "MLmodel"))
  expect_true("randomForest" %in% names(spec$flavors$crate$r_packages))
  expected <- as.character(stats::predict(fit, newdata = Pima.tr[1:5, ]))
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    "model <- mlflowrest::mlflow_load_model(commandArgs(TRUE)[1])",
    "data('Pima.tr', package = 'MASS')",
    "cat(as.character(mlflowrest::mlflow_predict(model, Pima.tr[1:5, ])), sep = '\\n')"
  ), script)
  out <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", script, path),
                 stdout = TRUE, stderr = TRUE,
                 env = paste0("R_LIBS=", paste(.libPaths(), collapse = ":")), timeout = 120)
  expect_equal(tail(out, 5), expected)
})

test_that("load_flavor is the generic mlflow_load_model dispatches to", {
  path <- file.path(withr::local_tempdir(), "m")
  mlflow_save_model(mlflow_crate(function(x) x + k, k = 1), path)
  fn <- mlflow_load_flavor(structure(list(), class = "mlflow_flavor_crate"), path)
  expect_equal(fn(1), 2)
  spec <- yaml::read_yaml(file.path(path, "MLmodel"))
  spec$flavors <- list(python_function = list(loader_module = "x"))
  yaml::write_yaml(spec, file.path(path, "MLmodel"))
  expect_error(mlflow_load_model(path), class = "mlflowrest_error", regexp = "python_function")
})
