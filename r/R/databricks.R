# Databricks: where the host and token come from (the family's rule, then the notebook's
# own credentials, as CRAN mlflow's databricks-utils.R reads them last), and the notebook's
# context: its experiment and source tags. r/README.md lists the sources; keep it in step.

databricks_config_path <- function() {
  Sys.getenv(rules_databricks_config_file_env, path.expand(rules_databricks_config_file_default))
}

databricks_valid <- function(settings) {
  !is.null(non_empty(settings$host)) &&
    (!is.null(non_empty(settings$token)) ||
       (!is.null(non_empty(settings$username)) && !is.null(non_empty(settings$password))))
}

# The notebook's own host and token: the variables a Databricks R notebook defines in the
# global environment (what CRAN reads), else the Spark configuration of a SparkR or
# sparklyr session that is already running (nothing is started here).
databricks_from_notebook <- function() {
  global <- function(name) if (exists(name, envir = globalenv(), inherits = FALSE)) get(name, envir = globalenv())
  settings <- list(host = global("spark.databricks.api.url"), token = global("spark.databricks.token"))
  if (!databricks_valid(settings)) {
    settings <- list(host = spark_conf("spark.databricks.api.url"),
                     token = spark_conf("spark.databricks.token"),
                     insecure = spark_conf("spark.databricks.ignoreTls"))
  }
  compact(settings)
}

spark_conf <- function(key) {
  value <- NULL
  if (isNamespaceLoaded("SparkR")) {
    value <- tryCatch(getExportedValue("SparkR", "sparkR.conf")(key, NA)[[1]], error = function(e) NULL)
  }
  if (is.null(non_empty_value(value)) && isNamespaceLoaded("sparklyr")) {
    value <- tryCatch({
      connections <- getExportedValue("sparklyr", "spark_connection_find")()
      if (length(connections)) getExportedValue("sparklyr", "spark_context_config")(connections[[1]])[[key]]
    }, error = function(e) NULL)
  }
  non_empty_value(value)
}

non_empty_value <- function(x) {
  if (is.null(x) || length(x) != 1L || is.na(x) || !nzchar(as.character(x))) NULL else as.character(x)
}

# The family's rule (openapi/family-rules.yaml, config.databricks): each field from its
# DATABRICKS_* variable, else from the profile (`databricks://<profile>`, which must exist,
# or DEFAULT). What that leaves incomplete, the notebook's own credentials complete: CRAN
# reads them last, so anything set explicitly overrides them.
databricks_settings <- function(uri) {
  named <- sub("^databricks(:/*)?", "", uri)
  profile <- if (nzchar(named)) named else rules_databricks_default_profile
  path <- databricks_config_path()
  section <- (if (file.exists(path)) read_ini(path) else list())[[profile]]
  if (is.null(section) && nzchar(named)) {
    abort_invalid(sprintf("no profile '%s' in %s", named, path), "tracking_uri")
  }
  settings <- list()
  for (var in rules_databricks_variables) {
    key <- if (var$field == "tracking_uri") "host" else var$profile_key
    settings[[key]] <- non_empty(Sys.getenv(var$env)) %||% non_empty(section[[var$profile_key]])
  }
  if (!databricks_valid(settings)) {
    notebook <- databricks_from_notebook()
    for (key in names(notebook)) settings[[key]] <- settings[[key]] %||% notebook[[key]]
  }
  if (!databricks_valid(settings)) {
    abort_invalid(paste0(
      "no Databricks credentials: set DATABRICKS_HOST and DATABRICKS_TOKEN, add a profile to ",
      path, ", or run in a Databricks notebook"), "tracking_uri")
  }
  host <- settings$host
  if (!grepl("^https?://", host)) host <- paste0("https://", host)
  list(
    host = host,
    token = non_empty(settings$token),
    username = non_empty(settings$username),
    password = non_empty(settings$password),
    insecure = if (is.null(settings$insecure)) FALSE else parse_flag(settings$insecure, "DATABRICKS_INSECURE")
  )
}

# Inside Databricks the default tracking URI is the workspace, as for MLflow's other
# clients there.
in_databricks <- function() {
  nzchar(Sys.getenv("DATABRICKS_RUNTIME_VERSION")) ||
    exists(".databricks_internals", envir = globalenv(), inherits = FALSE)
}

# The notebook (or job) this session runs in, from the `.databricks_internals`
# environment Databricks defines; NULL elsewhere, or when tracking goes to another server.
databricks_context <- function() {
  uri <- mlflow_get_tracking_uri()
  if (is.null(uri) || !grepl("^databricks", uri)) return(NULL)
  if (!exists(".databricks_internals", envir = globalenv(), inherits = FALSE)) return(NULL)
  internals <- get(".databricks_internals", envir = globalenv())
  call_internal <- function(name) {
    if (!exists(name, envir = internals, inherits = FALSE)) return(NULL)
    tryCatch(get(name, envir = internals)(), error = function(e) NULL)
  }
  notebook <- call_internal(".get_notebook_info")
  if (!is.null(non_empty_value(notebook$id)) && !is.null(non_empty_value(notebook$path))) {
    return(list(experiment_id = as.character(notebook$id), tags = compact(list(
      mlflow.databricks.notebookID = as.character(notebook$id),
      mlflow.databricks.notebookPath = notebook$path,
      mlflow.databricks.webappURL = non_empty_value(notebook$webapp_url),
      mlflow.source.name = notebook$path,
      mlflow.source.type = "NOTEBOOK"
    ))))
  }
  job <- call_internal(".get_job_info")
  if (!is.null(non_empty_value(job$job_id))) {
    return(list(experiment_id = NULL, tags = compact(list(
      mlflow.databricks.jobID = as.character(job$job_id),
      mlflow.databricks.jobRunID = non_empty_value(job$run_id),
      mlflow.databricks.jobType = non_empty_value(job$job_type),
      mlflow.databricks.webappURL = non_empty_value(job$webapp_url),
      mlflow.source.name = paste("jobs", job$job_id, "run", job$run_id, sep = "/"),
      mlflow.source.type = "JOB"
    ))))
  }
  NULL
}
