# Contract driver for the R package: JSON lines in, JSON lines out (see tests/contract/runner/engine.py).
# The package returns CRAN-style data frames; `as_json_*` turn them back into the API's JSON shape.
suppressPackageStartupMessages(library(mlflowrest))

`%||%` <- function(a, b) if (is.null(a)) b else a

ms <- function(t) if (is.null(t) || length(t) == 0 || is.na(t)) NULL else round(as.numeric(t) * 1000)

# NaN and infinities as the strings the API uses; everything else as is.
num <- function(x) {
  if (is.na(x) && !is.nan(x)) return(NULL)
  if (is.nan(x)) return("NaN")
  if (is.infinite(x)) return(if (x > 0) "Infinity" else "-Infinity")
  x
}

# The API's spellings of NaN and infinities become R's; any other string reaches the SDK as is.
from_json_value <- function(v) {
  if (is.character(v)) switch(v, "NaN" = NaN, "Infinity" = Inf, "-Infinity" = -Inf, v) else as.numeric(v)
}

# int64 values beyond 2^53 arrive as strings (bigint_as_char), which the SDK refuses as it is
# given them: turned into doubles here they would be rounded before the SDK could see them.
int64_column <- function(values) {
  if (any(vapply(values, is.character, TRUE))) vapply(values, as.character, "") else vapply(values, as.numeric, 0)
}

kv <- function(df) {
  if (is.null(df) || nrow(df) == 0) return(list())
  lapply(seq_len(nrow(df)), function(i) list(key = df$key[[i]], value = df$value[[i]]))
}

metrics_json <- function(df) {
  if (is.null(df) || nrow(df) == 0) return(list())
  lapply(seq_len(nrow(df)), function(i) {
    list(key = df$key[[i]], value = num(df$value[[i]]), timestamp = ms(df$timestamp[[i]]), step = df$step[[i]])
  })
}

run_json <- function(row) {
  info <- list(run_id = row$run_id[[1]], run_uuid = row$run_uuid[[1]], experiment_id = row$experiment_id[[1]],
               run_name = row$run_name[[1]], user_id = row$user_id[[1]], status = row$status[[1]],
               start_time = ms(row$start_time[[1]]), end_time = ms(row$end_time[[1]]),
               artifact_uri = row$artifact_uri[[1]], lifecycle_stage = row$lifecycle_stage[[1]])
  info <- Filter(function(x) !is.null(x) && !(length(x) == 1 && is.na(x)), info)
  list(info = info, data = list(metrics = metrics_json(row$metrics[[1]]), params = kv(row$params[[1]]),
                                tags = kv(row$tags[[1]])))
}

rows <- function(df, f) if (is.null(df) || nrow(df) == 0) list() else lapply(seq_len(nrow(df)), function(i) f(df[i, , drop = FALSE]))

experiment_json <- function(row) {
  list(experiment_id = row$experiment_id[[1]], name = row$name[[1]], artifact_location = row$artifact_location[[1]],
       lifecycle_stage = row$lifecycle_stage[[1]], creation_time = ms(row$creation_time[[1]]),
       last_update_time = ms(row$last_update_time[[1]]), tags = kv(row$tags[[1]]))
}

tags_arg <- function(tags) {
  if (is.null(tags) || length(tags) == 0) return(NULL)
  stats::setNames(lapply(tags, function(t) t$value), vapply(tags, function(t) t$key, ""))
}

local_files <- function(local, artifact_path) {
  prefix <- if (is.null(artifact_path)) "" else paste0(artifact_path, "/")
  if (dir.exists(local)) {
    paste0(prefix, sort(list.files(local, recursive = TRUE, all.files = TRUE)))
  } else {
    paste0(prefix, basename(local))
  }
}

sha_tree <- function(path) {
  files <- if (dir.exists(path)) sort(list.files(path, recursive = TRUE, all.files = TRUE)) else basename(path)
  base <- if (dir.exists(path)) path else dirname(path)
  out <- lapply(files, function(f) {
    hash <- system2("sha256sum", shQuote(file.path(base, f)), stdout = TRUE)
    strsplit(hash, " ")[[1]][1]
  })
  stats::setNames(out, files)
}

first_n <- function(items, a) if (!is.null(a$max_results)) utils::head(items, a$max_results) else items

execute <- function(client, op, a) {
  switch(op,
    createExperiment = list(experiment_id = mlflow_create_experiment(a$name, a$artifact_location, client = client,
                                                                      tags = tags_arg(a$tags))),
    getExperiment = list(experiment = experiment_json(mlflow_get_experiment(experiment_id = a$experiment_id, client = client))),
    getExperimentByName = list(experiment = experiment_json(mlflow_get_experiment(name = a$experiment_name, client = client))),
    searchExperiments = list(experiments = rows(mlflow_search_experiments(
      filter = a$filter, experiment_view_type = a$view_type %||% "ACTIVE_ONLY", max_results = a$max_results %||% 1000,
      order_by = a$order_by %||% list(), client = client)$experiments, experiment_json)),
    updateExperiment = { mlflow_rename_experiment(a$new_name, a$experiment_id, client = client); list() },
    setExperimentTag = { mlflow_set_experiment_tag(a$key, a$value, a$experiment_id, client = client); list() },
    deleteExperimentTag = { mlflow_delete_experiment_tag(a$key, a$experiment_id, client = client); list() },
    deleteExperiment = { mlflow_delete_experiment(a$experiment_id, client = client); list() },
    restoreExperiment = { mlflow_restore_experiment(a$experiment_id, client = client); list() },
    createRun = {
      tags <- tags_arg(a$tags) %||% list()
      if (!is.null(a$run_name)) tags[["mlflow.runName"]] <- a$run_name
      run <- mlflow_start_run(experiment_id = a$experiment_id, start_time = a$start_time, tags = tags, client = client)
      list(run = run_json(run))
    },
    getRun = list(run = run_json(mlflow_get_run(a$run_id, client = client))),
    updateRun = list(run_info = mlflow_update_run(a$run_id, status = a$status, end_time = a$end_time,
                                                  run_name = a$run_name, client = client)),
    deleteRun = { mlflow_delete_run(a$run_id, client = client); list() },
    restoreRun = { mlflow_restore_run(a$run_id, client = client); list() },
    searchRuns = list(runs = rows(mlflow_search_runs(
      filter = a$filter, run_view_type = a$run_view_type %||% "ACTIVE_ONLY", experiment_ids = a$experiment_ids,
      order_by = a$order_by %||% list(), client = client, max_results = a$max_results %||% 1000), run_json)),
    logMetric = { mlflow_log_metric(a$key, from_json_value(a$value), timestamp = a$timestamp, step = a$step,
                                    run_id = a$run_id, client = client); list() },
    logParam = { mlflow_log_param(a$key, a$value, run_id = a$run_id, client = client); list() },
    setTag = { mlflow_set_tag(a$key, a$value, run_id = a$run_id, client = client); list() },
    deleteTag = { mlflow_delete_tag(a$key, run_id = a$run_id, client = client); list() },
    logBatch = {
      m <- a$metrics %||% list()
      metrics <- if (length(m)) data.frame(
        key = vapply(m, function(x) x$key, ""), value = vapply(m, function(x) from_json_value(x$value), 0),
        timestamp = int64_column(lapply(m, function(x) x$timestamp)), step = int64_column(lapply(m, function(x) x$step %||% 0)),
        stringsAsFactors = FALSE)
      to_df <- function(items) if (length(items)) data.frame(key = vapply(items, function(x) x$key, ""),
                                                             value = vapply(items, function(x) x$value, ""),
                                                             stringsAsFactors = FALSE)
      mlflow_log_batch(metrics = metrics, params = to_df(a$params), tags = to_df(a$tags), run_id = a$run_id,
                       client = client)
      list()
    },
    getMetricHistory = list(metrics = metrics_json(mlflow_get_metric_history(a$metric_key, run_id = a$run_id, client = client))),
    createRegisteredModel = list(registered_model = mlflow_create_registered_model(
      a$name, tags = a$tags, description = a$description, client = client)),
    getRegisteredModel = list(registered_model = mlflow_get_registered_model(a$name, client = client)),
    updateRegisteredModel = list(registered_model = mlflow_update_registered_model(a$name, a$description, client = client)),
    renameRegisteredModel = list(registered_model = mlflow_rename_registered_model(a$name, a$new_name, client = client)),
    deleteRegisteredModel = { mlflow_delete_registered_model(a$name, client = client); list() },
    searchRegisteredModels = list(registered_models = first_n(mlflow_search_registered_models(
      filter = a$filter, max_results = a$max_results %||% 100, client = client)$registered_models, a)),
    setRegisteredModelTag = { mlflow_set_registered_model_tag(a$name, a$key, a$value, client = client); list() },
    setRegisteredModelAlias = { mlflow_set_registered_model_alias(a$name, a$alias, a$version, client = client); list() },
    deleteRegisteredModelAlias = { mlflow_delete_registered_model_alias(a$name, a$alias, client = client); list() },
    getModelVersionByAlias = list(model_version = mlflow_get_model_version_by_alias(a$name, a$alias, client = client)),
    createModelVersion = list(model_version = mlflow_create_model_version(a$name, a$source, run_id = a$run_id,
                                                                          client = client)),
    getModelVersion = list(model_version = mlflow_get_model_version(a$name, a$version, client = client)),
    deleteModelVersion = { mlflow_delete_model_version(a$name, a$version, client = client); list() },
    searchModelVersions = list(model_versions = first_n(mlflow_search_model_versions(
      filter = a$filter, client = client)$model_versions, a)),
    setModelVersionTag = { mlflow_set_model_version_tag(a$name, a$version, a$key, a$value, client = client); list() },
    transitionModelVersionStage = list(model_version = mlflow_transition_model_version_stage(
      a$name, a$version, a$stage, archive_existing_versions = isTRUE(a$archive_existing_versions), client = client)),
    uploadArtifacts = {
      mlflow_log_artifact(a$local_path, artifact_path = a$artifact_path, run_id = a$run_id, client = client)
      list(stored = as.list(local_files(a$local_path, a$artifact_path)))
    },
    listArtifactFiles = {
      df <- mlflow_list_artifacts(path = a$path, run_id = a$run_id, client = client)
      df <- df[order(df$path), , drop = FALSE]
      list(files = rows(df, function(r) list(path = r$path[[1]], is_dir = r$is_dir[[1]],
                                             file_size = if (is.na(r$file_size[[1]])) NULL else r$file_size[[1]])))
    },
    downloadArtifacts = {
      dst <- tempfile("mlflowrest-driver-")
      dir.create(dst)
      got <- mlflow_download_artifacts(a$path, run_id = a$run_id, client = client, dst_path = dst)
      list(files = sha_tree(got))
    },
    downloadArtifactUri = {
      dst <- tempfile("mlflowrest-driver-")
      dir.create(dst)
      list(files = sha_tree(mlflow_download_artifacts(a$uri, client = client, dst_path = dst)))
    },
    fluentLogArtifacts = {
      # The fluent API: without `client` the run becomes the active one, and the logging call
      # names no run (the driver's environment points the default client at the server).
      run <- mlflow_start_run(experiment_id = a$experiment_id)
      with(run, mlflow_log_artifact(a$local_path, artifact_path = a$artifact_path))
      list(run_id = run$run_id)
    },
    backgroundLog = {
      # The background logger: points queue in the session and go out from curl's multi pool;
      # mlflow_end_run() waits until every one is stored.
      run <- mlflow_start_run(experiment_id = a$experiment_id, client = client, background = TRUE)
      for (step in seq_len(a$count) - 1) {
        # The point at refuse_step has timestamp -1, which the server refuses.
        ts <- if (!is.null(a$refuse_step) && step == a$refuse_step) -1 else NULL
        mlflow_log_metric(a$key, step, timestamp = ts, step = step, run_id = run$run_id, client = client)
        if (!is.null(a$pause_ms) && a$pause_ms > 0) Sys.sleep(a$pause_ms / 1000)
      }
      mlflow_end_run("FINISHED", run_id = run$run_id, client = client)
      list(run_id = run$run_id)
    },
    # Every other operation of the spec through the generated operation table (JSON in and out).
    do.call(mlflow_call_operation, c(list(op), a, list(client = client)))
  )
}

# The configuration these variables give (family-rules.yaml, config), secrets masked: only the
# given variables are set while the client is built.
effective_config <- function(env) {
  family <- grep("^(MLFLOW|MLFLOWREST|DATABRICKS)_", names(Sys.getenv()), value = TRUE)
  vars <- c(stats::setNames(rep(NA_character_, length(family)), family), unlist(env))
  client <- withr::with_envvar(vars[!duplicated(names(vars), fromLast = TRUE)], mlflow_client())
  masked <- function(x) if (is.null(x)) NULL else "***"
  list(tracking_uri = client$host, username = client$username, password = masked(client$password),
       token = masked(client$token), insecure_tls = client$insecure, server_cert_path = client$server_cert_path,
       client_cert_path = client$client_cert_path, max_retries = client$max_retries,
       backoff_factor = client$backoff_factor, backoff_jitter = client$backoff_jitter, timeout = client$timeout,
       batch_concurrency = client$batch_concurrency, journal_dir = client$journal_dir,
       journal_fsync = client$journal_fsync, journal_fsync_interval = client$journal_fsync_interval,
       journal_on_unreachable = client$journal_on_unreachable)
}

connect <- function(a) {
  # R users configure auth and TLS through MLflow's environment variables, as with the CRAN package.
  for (name in c("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
                 "MLFLOW_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_SERVER_CERT_PATH")) Sys.unsetenv(name)
  if (!is.null(a$username)) Sys.setenv(MLFLOW_TRACKING_USERNAME = a$username, MLFLOW_TRACKING_PASSWORD = a$password %||% "")
  if (!is.null(a$token)) Sys.setenv(MLFLOW_TRACKING_TOKEN = a$token)
  if (isTRUE(a$insecure_tls)) Sys.setenv(MLFLOW_TRACKING_INSECURE_TLS = "true")
  if (!is.null(a$server_cert_path)) Sys.setenv(MLFLOW_TRACKING_SERVER_CERT_PATH = a$server_cert_path)
  mlflow_client(a$tracking_uri)
}

main <- function() {
  input <- file("stdin", "r")
  client <- NULL
  while (length(line <- readLines(input, n = 1, encoding = "UTF-8")) > 0) {
    request <- jsonlite::fromJSON(line, simplifyVector = FALSE, bigint_as_char = TRUE)
    answer <- tryCatch({
      if (request$op == "effectiveConfig") {
        list(ok = TRUE, result = effective_config(request$args$env))
      } else if (request$op == "connect") {
        client <- connect(request$args)
        list(ok = TRUE, result = list(repr = paste(format(client), collapse = " ")))
      } else {
        if (is.null(client)) client <- mlflow_client()
        list(ok = TRUE, result = execute(client, request$op, request$args))
      }
    }, mlflowrest_error = function(e) {
      list(ok = FALSE, error = list(class = class(e)[[1]], error_code = e$error_code, http_status = e$http_status,
                                    message = conditionMessage(e), field = e$field, limit = e$limit))
    }, error = function(e) {
      list(ok = FALSE, error = list(class = paste0("R:", class(e)[[1]]), message = conditionMessage(e)))
    })
    cat(jsonlite::toJSON(answer, auto_unbox = TRUE, null = "null", digits = NA), "\n", sep = "")
    flush(stdout())
  }
}

main()
