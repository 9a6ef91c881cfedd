# Parameterised scripts, as CRAN's mlflow_param() / mlflow_source(): a script reads its
# parameters with mlflow_param(), and `Rscript -e 'mlflowrest::mlflow_source("train.R")'
# --args --alpha 0.5` (or --alpha=0.5) supplies them. Python's `mlflow run` is not needed.

#' Read a script parameter
#'
#' Returns the value given on the command line to [mlflow_source()] (`--name value` or
#' `--name=value`, dashes in names read as underscores), else `default`, converted to
#' `type`.
#'
#' @param name The parameter's name.
#' @param default Its default value.
#' @param type `"numeric"`, `"integer"` or `"string"`; the type of `default` when `NULL`.
#' @param description Unused; documents the parameter.
#' @return The value.
#' @examples
#' alpha <- mlflow_param("alpha", 0.5, "numeric")
#' alpha
#' @export
mlflow_param <- function(name, default = NULL, type = NULL, description = NULL) {
  if (!is.null(type) && !type %in% c("numeric", "integer", "string")) {
    abort_invalid(sprintf("type of parameter '%s' must be numeric, integer or string", name), "type")
  }
  type <- type %||% switch(typeof(default), integer = "integer", double = "numeric",
                           "NULL" = NULL, "string")
  if (is.null(type)) abort_invalid(sprintf("parameter '%s' needs a default or a type", name), "type")
  cast <- function(value, what) {
    if (is.null(value)) return(NULL)
    out <- suppressWarnings(switch(type, integer = as.integer(value), numeric = as.numeric(value),
                                   as.character(value)))
    if (length(out) != 1L || is.na(out)) {
      abort_invalid(sprintf("%s for parameter '%s' is not a single %s: %s", what, name, type,
                            paste(format(value), collapse = ", ")), name)
    }
    out
  }
  default <- cast(default, "the default")
  cast(.globals$run_params[[name]], "the value given") %||% default
}

#' Run a script with command-line parameters
#'
#' Meant for `Rscript`: reads `--name value` / `--name=value` arguments for
#' [mlflow_param()], sources `uri`, and ends the active run `FINISHED`, or `FAILED` when
#' the script fails (the error is then re-signalled, unlike CRAN's, which prints it).
#'
#' @param uri Path to the R script (quoted or not).
#' @return `NULL`, invisibly.
#' @examples
#' script <- tempfile(fileext = ".R")
#' writeLines("cat('alpha is', mlflow_param('alpha', 0.1), '\\n')", script)
#' if (!interactive()) mlflow_source(script)
#' @export
mlflow_source <- function(uri) {
  if (interactive()) {
    abort_usage("mlflow_source() is for Rscript; call source() in an interactive session")
  }
  # CRAN takes the path quoted or as a bare name: a bare name that is no variable is the path.
  expr <- substitute(uri)
  uri <- tryCatch(uri, error = function(e) as.character(expr))
  .globals$run_params <- parse_command_line(commandArgs(trailingOnly = TRUE))
  ended <- FALSE
  withCallingHandlers(
    suppressPackageStartupMessages(source(uri, local = new.env(parent = globalenv()))),
    error = function(e) {
      ended <<- TRUE
      mlflow_end_run("FAILED")
    },
    interrupt = function(e) {
      ended <<- TRUE
      mlflow_end_run("KILLED")
    }
  )
  if (!ended) mlflow_end_run()
  invisible(NULL)
}

# `--key value` and `--key=value` pairs; values are read as YAML scalars (numbers stay
# numbers) and dashes in keys become underscores.
parse_command_line <- function(arguments) {
  arguments <- arguments[arguments != "--args"]
  values <- list()
  i <- 1L
  while (i <= length(arguments)) {
    argument <- arguments[[i]]
    i <- i + 1L
    if (!startsWith(argument, "--")) next
    if (grepl("=", argument, fixed = TRUE)) {
      key <- sub("=.*$", "", substring(argument, 3L))
      value <- sub("^[^=]*=", "", argument)
    } else {
      key <- substring(argument, 3L)
      if (i > length(arguments)) abort_invalid(sprintf("no value after --%s", key), key)
      value <- arguments[[i]]
      i <- i + 1L
    }
    values[[gsub("-", "_", key, fixed = TRUE)]] <- yaml::yaml.load(value)
  }
  values
}
