# What MLflow's other clients write into MLmodel besides the flavors: the signature (input
# and output schemas as JSON strings of column specs) and the input example, saved as
# pandas "split" JSON plus the request body that the scoring server accepts.

# MLflow's DataType names for R's column types.
mlflow_type_of <- function(x) {
  if (inherits(x, "POSIXt") || inherits(x, "Date")) return("datetime")
  if (is.factor(x) || is.character(x)) return("string")
  if (is.logical(x)) return("boolean")
  if (is.integer(x)) return("integer")
  if (is.double(x)) return("double")
  if (is.raw(x)) return("binary")
  abort_invalid(sprintf("no MLflow type for a column of class %s", class(x)[1]), "signature")
}

schema_json <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.character(x) && length(x) == 1L && jsonlite::validate(x)) return(x)
  cols <- if (is.data.frame(x)) {
    Map(function(name, col) list(type = mlflow_type_of(col), name = name, required = TRUE),
        names(x), x)
  } else if (is.matrix(x) && !is.null(colnames(x))) {
    lapply(colnames(x), function(name) list(type = mlflow_type_of(x[, name]), name = name, required = TRUE))
  } else {
    list(list(type = mlflow_type_of(x), required = TRUE))
  }
  as.character(jsonlite::toJSON(unname(cols), auto_unbox = TRUE))
}

model_signature <- function(signature) {
  if (is.null(signature)) return(NULL)
  if (!is.list(signature) || is.data.frame(signature) || is.null(signature$inputs)) {
    abort_invalid("signature must be a list with `inputs` (and optionally `outputs`)", "signature")
  }
  list(inputs = schema_json(signature$inputs), outputs = schema_json(signature$outputs),
       params = NULL)
}

save_input_example <- function(example, path) {
  if (is.null(example)) return(NULL)
  if (!is.data.frame(example)) example <- as.data.frame(example)
  split <- list(columns = names(example),
                data = unname(lapply(seq_len(nrow(example)), function(i) {
                  unname(lapply(example, function(col) {
                    v <- col[[i]]
                    if (is.factor(v)) as.character(v) else v
                  }))
                })))
  write_json_file <- function(value, name) {
    writeLines(as.character(jsonlite::toJSON(value, auto_unbox = TRUE, digits = NA, na = "null",
                                             POSIXt = "ISO8601")),
               file.path(path, name))
  }
  write_json_file(split, "input_example.json")
  write_json_file(list(dataframe_split = split), "serving_input_example.json")
  list(artifact_path = "input_example.json", type = "dataframe", pandas_orient = "split",
       serving_input_path = "serving_input_example.json")
}
