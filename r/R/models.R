# Models in the CRAN package's "crate" flavor: a self-contained R function saved with
# saveRDS() plus an MLmodel file. `carrier` is not packaged for Debian, so mlflow_crate()
# plays carrier::crate()'s part.

#' Build a self-contained prediction function
#'
#' Like `carrier::crate()`: the function's environment holds only the objects passed in
#' `...`, so saving it stores the model and nothing else from the session. Call other
#' packages with `pkg::fun()` inside it.
#'
#' @param .fn A function of the new data, e.g. `function(x) stats::predict(fit, x)`.
#' @param ... Named objects the function uses, e.g. `fit = fit`.
#' @return A function of class `mlflow_crate`.
#' @export
mlflow_crate <- function(.fn, ...) {
  objects <- list(...)
  if (length(objects) && (is.null(names(objects)) || any(!nzchar(names(objects))))) {
    abort_usage("objects given to mlflow_crate() must be named, e.g. fit = fit")
  }
  env <- list2env(objects, parent = baseenv())
  environment(.fn) <- env
  structure(.fn, class = c("mlflow_crate", "function"))
}

#' @export
print.mlflow_crate <- function(x, ...) {
  cat("<mlflow_crate> objects:", paste(ls(environment(x)), collapse = ", "), "\n")
  invisible(x)
}

#' Save a model to a local folder
#'
#' Writes `crate.bin` and an `MLmodel` file (flavor `crate`), as the CRAN package does.
#' An existing folder at `path` is replaced.
#'
#' @param model A function of the new data, preferably from [mlflow_crate()].
#' @param path The folder to write.
#' @param model_spec Extra top-level fields for the MLmodel file.
#' @param ... Unused.
#' @return `path`, invisibly.
#' @export
mlflow_save_model <- function(model, path, model_spec = list(), ...) {
  UseMethod("mlflow_save_model")
}

#' @rdname mlflow_save_model
#' @export
mlflow_save_model.function <- function(model, path, model_spec = list(), ...) {
  if (identical(environment(model), globalenv())) {
    abort_usage(paste("the function's environment is the global environment, which is not",
                      "saved with it: build it with mlflow_crate(fn, obj = obj)"))
  }
  if (dir.exists(path)) unlink(path, recursive = TRUE)
  dir.create(path, recursive = TRUE)
  saveRDS(model, file.path(path, "crate.bin"))
  spec <- utils::modifyList(list(
    utc_time_created = format(Sys.time(), "%Y-%m-%d %H:%M:%OS6", tz = "UTC"),
    flavors = list(crate = list(version = "0.1.0", model = "crate.bin",
                                r_version = as.character(getRversion())))
  ), model_spec)
  yaml::write_yaml(spec, file.path(path, "MLmodel"))
  invisible(path)
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
#' and records it with `runs/log-model`.
#'
#' @param model A function of the new data, preferably from [mlflow_crate()].
#' @param artifact_path Folder within the run's artifacts.
#' @param ... Passed to [mlflow_save_model()].
#' @param run_id The run; the active run when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The model's URI, `runs:/<run_id>/<artifact_path>`, invisibly.
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
  mlflow_call(client, "POST", "runs/log-model", body = list(
    run_id = run_id,
    model_json = as.character(jsonlite::toJSON(spec, auto_unbox = TRUE, null = "null"))
  ))
  invisible(sprintf("runs:/%s/%s", run_id, artifact_path))
}

#' Load a model
#'
#' @param model_uri A local folder, `runs:/<run_id>/<path>`, `models:/<name>/<version>`,
#'   `models:/<name>/<stage>`, `models:/<name>@<alias>`, `models:/<model_id>` or an
#'   artifact location (see [mlflow_download_artifacts()]).
#' @param flavor The flavor to load; the first one this package knows when `NULL`.
#' @param client An `mlflow_client`; the default client when `NULL`.
#' @return The model: for the `crate` flavor, the saved function.
#' @export
mlflow_load_model <- function(model_uri, flavor = NULL, client = NULL) {
  local <- model_local_path(model_uri, client)
  spec <- yaml::read_yaml(file.path(local, "MLmodel"))
  flavor <- flavor %||% intersect(names(spec$flavors), "crate")[1]
  if (is.na(flavor) || !identical(flavor, "crate")) {
    abort_usage(sprintf("no loadable flavor in %s (has: %s)", model_uri,
                        paste(names(spec$flavors), collapse = ", ")))
  }
  model <- readRDS(file.path(local, spec$flavors$crate$model %||% "crate.bin"))
  # The CRAN package stores serialize(crate) inside the RDS file.
  if (is.raw(model)) model <- unserialize(model)
  model
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
#' @export
mlflow_predict <- function(model, data, ...) {
  UseMethod("mlflow_predict")
}

#' @rdname mlflow_predict
#' @export
mlflow_predict.default <- function(model, data, ...) {
  if (is.function(model)) return(model(data, ...))
  stats::predict(model, data, ...)
}
