# Databricks: where the host and token come from, and the notebook's context (its
# experiment and source tags), read in the CRAN mlflow package's order
# (databricks-utils.R there). r/README.md lists the sources; keep it in step.

# Names CRAN reads from the environment, by setting.
databricks_env_names <- c(host = "DATABRICKS_HOST", token = "DATABRICKS_TOKEN",
                          username = "DATABRICKS_USERNAME", password = "DATABRICKS_PASSWORD",
                          insecure = "DATABRICKS_INSECURE")

databricks_config_path <- function() {
  Sys.getenv("DATABRICKS_CONFIG_FILE", path.expand("~/.databrickscfg"))
}

databricks_valid <- function(settings) {
  !is.null(non_empty(settings$host)) &&
    (!is.null(non_empty(settings$token)) ||
       (!is.null(non_empty(settings$username)) && !is.null(non_empty(settings$password))))
}

databricks_profile <- function(profile, must_exist = FALSE) {
  path <- databricks_config_path()
  sections <- if (file.exists(path)) read_ini(path) else list()
  if (must_exist && is.null(sections[[profile]])) {
    abort_invalid(sprintf("profile '%s' not found in %s", profile, path), "tracking_uri")
  }
  sections[[profile]]
}

databricks_from_env <- function() {
  lapply(databricks_env_names, function(name) non_empty(Sys.getenv(name)))
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
  settings$insecure <- settings$insecure %||% non_empty(Sys.getenv("DATABRICKS_INSECURE"))
  settings
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

# `databricks://<profile>`: that profile (an error when the file lacks it). Then, and for
# plain `databricks`: DATABRICKS_HOST with DATABRICKS_TOKEN (or _USERNAME/_PASSWORD), the
# DEFAULT profile, the notebook's own credentials. The first complete one wins.
databricks_settings <- function(uri) {
  profile <- sub("^databricks(:/*)?", "", uri)
  candidates <- list(
    if (nzchar(profile)) function() databricks_profile(profile, must_exist = TRUE),
    databricks_from_env,
    function() databricks_profile("DEFAULT"),
    databricks_from_notebook
  )
  for (candidate in Filter(Negate(is.null), candidates)) {
    settings <- candidate()
    if (databricks_valid(settings)) break
    settings <- NULL
  }
  if (is.null(settings)) {
    abort_invalid(paste0(
      "no Databricks credentials: set DATABRICKS_HOST and DATABRICKS_TOKEN, add a profile to ",
      databricks_config_path(), ", or run in a Databricks notebook"), "tracking_uri")
  }
  host <- settings$host
  if (!grepl("^https?://", host)) host <- paste0("https://", host)
  list(
    host = host,
    token = non_empty(settings$token),
    username = non_empty(settings$username),
    password = non_empty(settings$password),
    insecure = tolower(settings$insecure %||% "false") %in% c("true", "1", "yes")
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
