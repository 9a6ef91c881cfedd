# Where a URI's files are: runs:/, models:/ (version, stage, alias, MLflow 3 logged model)
# and artifact locations resolve to a store and a path within it, so downloads and
# mlflow_load_model() go through the same layer whatever the server keeps them in.

# A URI, not a path within the run: a scheme this package resolves, or any "<scheme>://"
# (which then gets the unsupported-scheme error). "a:b/c" stays a path, as keys may hold ':'.
is_artifact_uri <- function(path) {
  is.character(path) && length(path) == 1L && !is.na(path) &&
    (uri_scheme(path) %in% c("runs", "models", artifact_store_schemes) || grepl("^[A-Za-z][A-Za-z0-9+.-]+://", path))
}

#' @return `list(store, path)`: the store holding the URI's files and the path inside it.
#' @noRd
resolve_artifact_uri <- function(uri, client, depth = 0L) {
  # A version's source may itself be a models:/ URI (MLflow 3: models:/m-<id>); a loop of
  # sources is a server-side inconsistency, not something to follow forever.
  if (depth > 5L) abort_usage(sprintf("model URI '%s' does not lead to any artifact location", uri))
  scheme <- uri_scheme(uri)
  if (scheme == "runs") {
    parts <- regmatches(uri, regexec("^runs:/+([^/]+)/?(.*)$", uri))[[1]]
    if (length(parts) != 3L) abort_invalid(sprintf("invalid runs URI '%s': use runs:/<run_id>/<path>", uri), "uri")
    return(list(store = run_artifact_store(parts[2], client), path = parts[3]))
  }
  if (scheme == "models") {
    return(resolve_artifact_uri(model_artifact_location(uri, client), client, depth + 1L))
  }
  list(store = artifact_store(uri, client), path = "")
}

# models:/<model_id> is an MLflow 3 logged model; models:/<name>/<version|stage> and
# models:/<name>@<alias> are registry references, followed to their version's source.
model_artifact_location <- function(uri, client) {
  rest <- sub("^models:/+", "", uri)
  if (grepl("^m-[0-9a-f]+(/|$)", rest)) {
    model_id <- sub("/.*$", "", rest)
    inner <- sub("^[^/]*/?", "", rest)
    info <- api_logged_models_get(client, model_id)$model$info
    return(join_uri(info$artifact_uri, inner))
  }
  version <- resolve_model_uri_version(uri, client)
  source <- version$source %||%
    mlflow_get_model_version(version$name, version$version, client = client)$source
  if (is.null(source) || !nzchar(source)) {
    abort_usage(sprintf("model version %s of '%s' has no source", version$version, version$name))
  }
  source
}

join_uri <- function(uri, rel) if (nzchar(rel)) paste0(sub("/+$", "", uri), "/", rel) else uri

resolve_model_uri_version <- function(model_uri, client) {
  rest <- sub("^models:/+", "", model_uri)
  if (grepl("@", rest, fixed = TRUE)) {
    parts <- strsplit(rest, "@", fixed = TRUE)[[1]]
    return(mlflow_get_model_version_by_alias(parts[1], parts[2], client = client))
  }
  if (!grepl("/", rest, fixed = TRUE)) {
    abort_invalid(sprintf(paste("invalid model URI '%s': use models:/<name>/<version>,",
                                "models:/<name>/<stage>, models:/<name>@<alias> or models:/<model_id>"),
                          model_uri), "model_uri")
  }
  name <- sub("/[^/]*$", "", rest)
  ref <- sub("^.*/", "", rest)
  if (grepl("^[0-9]+$", ref)) return(list(name = name, version = ref))
  latest <- mlflow_get_latest_versions(name, stages = if (tolower(ref) == "latest") list() else list(ref),
                                       client = client)
  if (length(latest) == 0L) {
    abort_api_error(404L, "RESOURCE_DOES_NOT_EXIST", sprintf("no version of '%s' in stage '%s'", name, ref),
                    "GET", "model-versions/get-latest-versions")
  }
  latest[[length(latest)]]
}
