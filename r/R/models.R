# Models in the CRAN package's "crate" flavor, byte for byte: crate.bin holds
# saveRDS(serialize(fn, NULL)) and MLmodel names it, so CRAN's loader
# (unserialize(readRDS(...))) reads our models and ours reads CRAN's. `carrier` is not
# packaged for Debian, so mlflow_crate() plays carrier::crate()'s part and its result has
# carrier's class "crate", on which CRAN's methods dispatch.

#' Build a self-contained prediction function
#'
#' Like `carrier::crate()`: the function's environment holds only the objects passed in
#' `...`, so saving it stores the model and nothing else from the session. Call other
#' packages with `pkg::fun()` inside it. The result has class `crate` too, so the CRAN
#' package's `mlflow_save_model()` and `mlflow_predict()` accept it.
#'
#' @param .fn A function of the new data, e.g. `function(x) stats::predict(fit, x)`.
#' @param ... Named objects the function uses, e.g. `fit = fit`.
#' @return A function of class `c("mlflow_crate", "crate", "function")`.
#' @examples
#' fit <- stats::lm(dist ~ speed, data = datasets::cars)
#' predictor <- mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit)
#' predictor(data.frame(speed = c(10, 20)))
#' @export
mlflow_crate <- function(.fn, ...) {
  objects <- list(...)
  if (length(objects) && (is.null(names(objects)) || any(!nzchar(names(objects))))) {
    abort_usage("objects given to mlflow_crate() must be named, e.g. fit = fit")
  }
  env <- list2env(objects, parent = baseenv())
  environment(.fn) <- env
  structure(.fn, class = c("mlflow_crate", "crate", "function"))
}

#' @export
print.mlflow_crate <- function(x, ...) {
  cat("<mlflow_crate> objects:", paste(ls(environment(x)), collapse = ", "), "\n")
  invisible(x)
}

#' Save a model to a local folder
#'
#' Writes `crate.bin` (`saveRDS(serialize(model, NULL))`) and an `MLmodel` file with the
#' `crate` flavor, as the CRAN package does, plus what MLflow's other clients write: the
#' model `signature`, an `input_example.json` (pandas "split" orientation) with
#' `serving_input_example.json`, and the packages the function needs
#' (`flavors$crate$r_packages`), which [mlflow_load_model()] loads. An existing folder
#' at `path` is replaced.
#'
#' @param model A function of the new data, preferably from [mlflow_crate()].
#' @param path The folder to write.
#' @param model_spec Extra top-level fields for the MLmodel file.
#' @param signature `NULL`, or a list with `inputs` and optionally `outputs`, each a
#'   data frame or vector whose column types are taken (or a schema JSON string). When
#'   `NULL` and `input_example` is given, inputs come from the example and outputs from
#'   the model's prediction for it.
#' @param input_example A small data frame of model input.
#' @param packages Packages the function needs besides those detected (the packages whose
#'   S3 methods handle the crated objects' classes, and those called as `pkg::fun`).
#' @param ... Unused.
#' @return `path`, invisibly.
#' @examples
#' fit <- stats::lm(dist ~ speed, data = datasets::cars)
#' predictor <- mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit)
#' path <- file.path(tempdir(), "cars-model")
#' mlflow_save_model(predictor, path, input_example = datasets::cars[1:3, "speed", drop = FALSE])
#' cat(readLines(file.path(path, "MLmodel")), sep = "\n")
#' @export
mlflow_save_model <- function(model, path, model_spec = list(), ...) {
  UseMethod("mlflow_save_model")
}

#' @rdname mlflow_save_model
#' @export
mlflow_save_model.crate <- function(model, path, model_spec = list(), signature = NULL,
                                    input_example = NULL, packages = NULL, ...) {
  if (identical(environment(model), globalenv())) {
    abort_usage(paste("the function's environment is the global environment, which is not",
                      "saved with it: build it with mlflow_crate(fn, obj = obj)"))
  }
  if (dir.exists(path)) unlink(path, recursive = TRUE)
  dir.create(path, recursive = TRUE)
  saveRDS(serialize(model, NULL), file.path(path, "crate.bin"))
  crate <- list(version = "0.1.0", model = "crate.bin",
                r_version = as.character(getRversion()),
                r_packages = crate_packages(model, packages))
  spec <- list(
    flavors = c(model_spec$flavors, list(crate = compact(crate))),
    utc_time_created = format(Sys.time(), "%Y-%m-%d %H:%M:%OS6", tz = "UTC"),
    run_id = active_run_id()
  )
  if (is.null(signature) && !is.null(input_example)) {
    signature <- list(inputs = input_example,
                      outputs = tryCatch(model(input_example), error = function(e) NULL))
  }
  spec$signature <- model_signature(signature)
  spec$saved_input_example_info <- save_input_example(input_example, path)
  spec <- utils::modifyList(spec, model_spec[setdiff(names(model_spec), "flavors")])
  yaml::write_yaml(compact(spec), file.path(path, "MLmodel"))
  invisible(path)
}

#' @rdname mlflow_save_model
#' @export
mlflow_save_model.function <- function(model, path, model_spec = list(), ...) {
  mlflow_save_model.crate(model, path, model_spec, ...)
}

#' @rdname mlflow_save_model
#' @export
mlflow_save_model.default <- function(model, path, model_spec = list(), ...) {
  abort_usage(sprintf(
    "cannot save a model of class %s: wrap it in a function with mlflow_crate()",
    paste(class(model), collapse = "/")))
}

#' Log a model to a run
#'
#' Saves the model with [mlflow_save_model()], uploads the folder to `artifact_path`
#' and records it with `runs/log-model` (so the run's "Models" view shows it).
#'
#' @param model A function of the new data, preferably from [mlflow_crate()].
#' @param artifact_path Folder within the run's artifacts.
#' @param ... Passed to [mlflow_save_model()]: `signature`, `input_example`, `packages`.
#' @param run_id The run; the active run when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The model's URI, `runs:/<run_id>/<artifact_path>`, invisibly.
#' @examples
#' if (mlflowrest:::server_reachable()) {
#'   fit <- stats::lm(dist ~ speed, data = datasets::cars)
#'   predictor <- mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit)
#'   with(mlflow_start_run(), {
#'     example <- datasets::cars[1:2, "speed", drop = FALSE]
#'     uri <- mlflow_log_model(predictor, "model", input_example = example)
#'   })
#'   mlflow_predict(mlflow_load_model(uri), data.frame(speed = 15))
#' }
#' @export
mlflow_log_model <- function(model, artifact_path, ..., run_id = NULL, client = NULL) {
  client <- resolve_client(client)
  run_id <- resolve_run_id(run_id)
  local <- tempfile("mlflow-model-")
  on.exit(unlink(local, recursive = TRUE), add = TRUE)
  mlflow_save_model(model, local, ...)
  mlflow_log_artifact(local, artifact_path = artifact_path, run_id = run_id, client = client)
  spec <- yaml::read_yaml(file.path(local, "MLmodel"))
  spec$artifact_path <- artifact_path
  spec$run_id <- run_id
  api_runs_log_model(client,
    run_id = run_id,
    model_json = as.character(jsonlite::toJSON(spec, auto_unbox = TRUE, null = "null"))
  )
  invisible(sprintf("runs:/%s/%s", run_id, artifact_path))
}

#' Load a model
#'
#' Reads the `MLmodel` file and hands the folder to [mlflow_load_flavor()] for the first
#' flavor that has a method (the `crate` flavor here; other packages may add methods).
#' A crate's recorded packages are loaded first, so [mlflow_predict()] works in a fresh
#' session.
#'
#' @param model_uri A local folder, `runs:/<run_id>/<path>`, `models:/<name>/<version>`,
#'   `models:/<name>/<stage>`, `models:/<name>@<alias>`, `models:/<model_id>` or an
#'   artifact location (see [mlflow_download_artifacts()]).
#' @param flavor The flavor to load; the first one with a loader when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The model: for the `crate` flavor, the saved function.
#' @examples
#' predictor <- mlflow_crate(function(x) x * k, k = 2)
#' path <- file.path(tempdir(), "double-model")
#' mlflow_save_model(predictor, path)
#' mlflow_predict(mlflow_load_model(path), 1:3)
#' @export
mlflow_load_model <- function(model_uri, flavor = NULL, client = NULL) {
  local <- model_local_path(model_uri, client)
  spec <- yaml::read_yaml(file.path(local, "MLmodel"))
  loadable <- Filter(function(f) {
    !is.null(utils::getS3method("mlflow_load_flavor", paste0("mlflow_flavor_", f), optional = TRUE))
  }, names(spec$flavors))
  flavor <- flavor %||% loadable[1]
  if (is.null(flavor) || is.na(flavor) || !flavor %in% loadable) {
    abort_usage(sprintf("no loadable flavor in %s (has: %s; loaders: %s)", model_uri,
                        paste(names(spec$flavors), collapse = ", "),
                        paste(loadable, collapse = ", ")))
  }
  load_model_packages(spec$flavors[[flavor]]$r_packages)
  mlflow_load_flavor(structure(list(spec = spec$flavors[[flavor]]),
                               class = paste0("mlflow_flavor_", flavor)), local)
}

#' Load a model flavor
#'
#' The generic [mlflow_load_model()] calls with an object of class
#' `mlflow_flavor_<name>` and the model's local folder; packages add flavors by
#' defining a method. The `crate` method is CRAN mlflow's:
#' `unserialize(readRDS(file.path(model_path, "crate.bin")))`.
#'
#' @param flavor An object of class `mlflow_flavor_<name>`.
#' @param model_path The model's local folder.
#' @return The loaded model.
#' @examples
#' path <- file.path(tempdir(), "flavor-model")
#' mlflow_save_model(mlflow_crate(function(x) x + 1), path)
#' fn <- mlflow_load_flavor(structure(list(), class = "mlflow_flavor_crate"), path)
#' fn(1)
#' @export
mlflow_load_flavor <- function(flavor, model_path) {
  UseMethod("mlflow_load_flavor")
}

#' @rdname mlflow_load_flavor
#' @export
mlflow_load_flavor.mlflow_flavor_crate <- function(flavor, model_path) {
  unserialize(readRDS(file.path(model_path, flavor$spec$model %||% "crate.bin")))
}

# Every URI form goes through the artifact layer (artifact_uri.R), whatever store holds it.
model_local_path <- function(model_uri, client) {
  if (dir.exists(model_uri)) return(model_uri)
  if (!nzchar(uri_scheme(model_uri))) abort_usage(sprintf("cannot load a model from '%s': no such folder", model_uri))
  located <- resolve_artifact_uri(model_uri, resolve_client(client))
  download_artifact_tree(located$store, located$path)
}

#' Predict with a loaded model
#'
#' @param model A model from [mlflow_load_model()].
#' @param data New data.
#' @param ... Passed to the model.
#' @return The model's predictions.
#' @examples
#' predictor <- mlflow_crate(function(x) x * k, k = 10)
#' mlflow_predict(predictor, 1:3)
#' @export
mlflow_predict <- function(model, data, ...) {
  UseMethod("mlflow_predict")
}

#' @rdname mlflow_predict
#' @export
mlflow_predict.crate <- function(model, data, ...) {
  do.call(model, list(data, ...))
}

#' @rdname mlflow_predict
#' @export
mlflow_predict.default <- function(model, data, ...) {
  if (is.function(model)) return(model(data, ...))
  stats::predict(model, data, ...)
}
