# The packages a crated function needs in a fresh session. predict() on a randomForest
# object dispatches to a method that exists only once randomForest's namespace is loaded,
# so the namespaces are recorded at save time and loaded before the model is used.

base_packages <- c("base", "stats", "utils", "methods", "graphics", "grDevices",
                   "datasets", "tools", "compiler", "grid", "parallel", "splines",
                   "stats4", "tcltk", "mlflowrest")

# Namespaces named as pkg::fun or pkg:::fun anywhere in the function.
namespaces_called <- function(fn) {
  found <- character()
  walk <- function(e) {
    if (is.call(e)) {
      head <- e[[1]]
      if (is.name(head) && as.character(head) %in% c("::", ":::")) {
        found <<- c(found, as.character(e[[2]]))
      }
      for (part in as.list(e)) walk(part)
    } else if (is.function(e)) {
      walk(body(e))
    }
  }
  walk(body(fn))
  found
}

# Loaded namespaces that register an S3 method for a class of a crated object.
namespaces_with_methods_for <- function(classes) {
  if (!length(classes)) return(character())
  pattern <- paste0("[.](", paste(gsub("([.|()^${}+*?\\[\\]\\\\])", "\\\\\\1", classes), collapse = "|"), ")$")
  Filter(function(ns) {
    table <- asNamespace(ns)[[".__S3MethodsTable__."]]
    !is.null(table) && any(grepl(pattern, ls(table, all.names = TRUE)))
  }, setdiff(loadedNamespaces(), base_packages))
}

crate_packages <- function(fn, extra = NULL) {
  objects <- mget(ls(environment(fn), all.names = TRUE), envir = environment(fn))
  classes <- unique(unlist(lapply(objects, class)))
  names <- c(namespaces_called(fn), unlist(lapply(objects, function(o) {
    if (is.function(o)) namespaces_called(o)
  })), namespaces_with_methods_for(classes), extra)
  names <- sort(setdiff(unique(names), base_packages))
  if (!length(names)) return(NULL)
  versions <- vapply(names, function(p) {
    tryCatch(as.character(utils::packageVersion(p)), error = function(e) NA_character_)
  }, character(1))
  as.list(versions)
}

load_model_packages <- function(packages) {
  for (name in names(packages)) {
    if (!requireNamespace(name, quietly = TRUE)) {
      abort_usage(sprintf(
        "the model needs the R package '%s' (version %s when saved), which is not installed",
        name, packages[[name]] %||% "unknown"), package = name)
    }
  }
  invisible(names(packages))
}
