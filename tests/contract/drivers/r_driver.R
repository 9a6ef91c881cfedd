# Contract driver for the R package: JSON lines in, JSON lines out (see tests/contract/runner/engine.py).
# Spec operations go to mlflow_call_operation(), i.e. the function generated for each operation
# (r/R/generated_operations.R), JSON lists in and out; only the SDK-level operations (artifact
# files and folders, the fluent and background APIs) are written here, with the CRAN vocabulary.
suppressPackageStartupMessages(library(mlflowrest))

`%||%` <- function(a, b) if (is.null(a)) b else a

rows <- function(df, f) if (is.null(df) || nrow(df) == 0) list() else lapply(seq_len(nrow(df)), function(i) f(df[i, , drop = FALSE]))

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

# The SDK-level operations (tests/contract/README.md, "Step kinds"), through the package's
# public functions.
sdk_operations <- list(
  uploadArtifacts = function(client, a) {
    mlflow_log_artifact(a$local_path, artifact_path = a$artifact_path, run_id = a$run_id, client = client)
    list(stored = as.list(local_files(a$local_path, a$artifact_path)))
  },
  listArtifactFiles = function(client, a) {
    df <- mlflow_list_artifacts(path = a$path, run_id = a$run_id, client = client)
    df <- df[order(df$path), , drop = FALSE]
    list(files = rows(df, function(r) list(path = r$path[[1]], is_dir = r$is_dir[[1]],
                                           file_size = if (is.na(r$file_size[[1]])) NULL else r$file_size[[1]])))
  },
  downloadArtifacts = function(client, a) {
    dst <- tempfile("mlflowrest-driver-")
    dir.create(dst)
    list(files = sha_tree(mlflow_download_artifacts(a$path, run_id = a$run_id, client = client, dst_path = dst)))
  },
  downloadArtifactUri = function(client, a) {
    dst <- tempfile("mlflowrest-driver-")
    dir.create(dst)
    list(files = sha_tree(mlflow_download_artifacts(a$uri, client = client, dst_path = dst)))
  },
  fluentLogArtifacts = function(client, a) {
    # The fluent API: without `client` the run becomes the active one, and the logging call
    # names no run (the driver's environment points the default client at the server).
    run <- mlflow_start_run(experiment_id = a$experiment_id)
    with(run, mlflow_log_artifact(a$local_path, artifact_path = a$artifact_path))
    list(run_id = run$run_id)
  },
  backgroundLog = function(client, a) {
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
  }
)

execute <- function(client, op, a) {
  if (!is.null(sdk_operations[[op]])) return(sdk_operations[[op]](client, a))
  do.call(mlflow_call_operation, c(list(op), a, list(client = client)))
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
       batch_concurrency = client$batch_concurrency, host_write_slots = client$host_write_slots,
       overload_timeout = client$overload_timeout, journal_dir = client$journal_dir,
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

# jsonlite writes at most 15 significant digits: 1/3 would come back as another double. A
# fractional double goes out in the SDK's shortest exact form instead.
exact_doubles <- function(x) {
  if (is.list(x) && !is.data.frame(x)) {
    x[] <- lapply(x, exact_doubles)
    return(x)
  }
  if (is.double(x) && length(x) == 1L && is.finite(x) && x != trunc(x)) {
    return(structure(mlflowrest:::json_metric_value(x), class = "json"))
  }
  x
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
    cat(jsonlite::toJSON(exact_doubles(answer), auto_unbox = TRUE, null = "null", digits = NA, json_verbatim = TRUE),
        "\n", sep = "")
    flush(stdout())
  }
}

main()
