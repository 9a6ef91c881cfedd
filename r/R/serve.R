# mlflow_rfunc_serve(): MLflow's scoring protocol for an R model, with httpuv. The input
# formats are those MLflow's scoring server accepts (pyfunc/scoring_server): JSON with one
# of dataframe_split, dataframe_records, instances or inputs, or a CSV body; answers are
# {"predictions": [...]}, and bad input is a 400 with an MLflow error body.

#' Serve a model over HTTP with MLflow's scoring protocol
#'
#' `GET /ping` and `GET /health` answer 200 once the model is loaded;
#' `POST /invocations` takes `application/json` with one of `dataframe_split`
#' (`{"columns": [...], "data": [[...]]}`), `dataframe_records` (`[{col: value}]`),
#' `instances` or `inputs` (records, or a list of values), or `text/csv`, and answers
#' `{"predictions": [...]}`. Needs the `httpuv` package.
#'
#' @param model_uri A model URI or folder, as for [mlflow_load_model()].
#' @param host Address to listen on; the loopback address by default.
#' @param port Port to listen on.
#' @param daemonized When `TRUE`, serve in the background of this session and return the
#'   server handle (stop it with `httpuv::stopServer()`); otherwise serve until interrupted.
#' @param browse Open the `/ping` page in a browser.
#' @param ... Passed to [mlflow_load_model()] (e.g. `client`).
#' @return With `daemonized = TRUE`, the httpuv server handle.
#' @examples
#' if (requireNamespace("httpuv", quietly = TRUE)) {
#'   path <- file.path(tempdir(), "served-model")
#'   mlflow_save_model(mlflow_crate(function(x) x$a * 2), path)
#'   server <- mlflow_rfunc_serve(path, port = httpuv::randomPort(), daemonized = TRUE,
#'                                browse = FALSE)
#'   httpuv::stopServer(server)
#' }
#' @export
mlflow_rfunc_serve <- function(model_uri, host = "127.0.0.1", port = 8090, daemonized = FALSE,
                               browse = interactive(), ...) {
  if (!requireNamespace("httpuv", quietly = TRUE)) {
    abort_usage("mlflow_rfunc_serve() needs the httpuv package (Debian: r-cran-httpuv)")
  }
  model <- mlflow_load_model(model_uri, ...)
  app <- list(call = function(req) scoring_response(model, req))
  url <- sprintf("http://%s:%s", host, port)
  message("Serving ", model_uri, " on ", url, " (POST /invocations, GET /ping)")
  if (isTRUE(browse)) utils::browseURL(paste0(url, "/ping"))
  if (isTRUE(daemonized)) return(invisible(httpuv::startServer(host, port, app)))
  httpuv::runServer(host, port, app)
}

scoring_response <- function(model, req) {
  path <- req$PATH_INFO
  if (req$REQUEST_METHOD == "GET" && path %in% c("/ping", "/health")) {
    return(list(status = 200L, headers = list("Content-Type" = "application/json"), body = "{}\n"))
  }
  if (!identical(path, "/invocations")) return(scoring_error(404L, "ENDPOINT_NOT_FOUND", "not found"))
  if (req$REQUEST_METHOD != "POST") return(scoring_error(405L, "BAD_REQUEST", "use POST"))
  type <- tolower(sub(";.*$", "", req$CONTENT_TYPE %||% req$HTTP_CONTENT_TYPE %||% ""))
  body <- rawToChar(req$rook.input$read())
  data <- tryCatch(
    switch(type,
           "application/json" = parse_scoring_json(body),
           "text/csv" = utils::read.csv(text = body, stringsAsFactors = FALSE),
           stop(structure(class = c("unsupported_type", "error", "condition"), list(
             message = sprintf("content type '%s' is not supported: use application/json or text/csv",
                               type), call = NULL)))),
    unsupported_type = function(e) e,
    error = function(e) structure(list(message = conditionMessage(e)), class = "bad_input")
  )
  if (inherits(data, "unsupported_type")) return(scoring_error(415L, "BAD_REQUEST", conditionMessage(data)))
  if (inherits(data, "bad_input")) return(scoring_error(400L, "BAD_REQUEST", data$message))
  predictions <- tryCatch(mlflow_predict(model, data), error = function(e) e)
  if (inherits(predictions, "error")) {
    return(scoring_error(400L, "BAD_REQUEST",
                         paste("the model failed on this input:", conditionMessage(predictions))))
  }
  if (is.factor(predictions)) predictions <- as.character(predictions)
  list(status = 200L, headers = list("Content-Type" = "application/json"),
       body = as.character(jsonlite::toJSON(list(predictions = unname(predictions)),
                                            digits = NA, dataframe = "rows", na = "null")))
}

scoring_error <- function(status, code, message) {
  list(status = status, headers = list("Content-Type" = "application/json"),
       body = as.character(jsonlite::toJSON(list(error_code = code, message = message),
                                            auto_unbox = TRUE)))
}

parse_scoring_json <- function(body) {
  input <- jsonlite::fromJSON(body, simplifyVector = FALSE)
  keys <- intersect(names(input), c("dataframe_split", "dataframe_records", "instances", "inputs"))
  if (length(keys) != 1L) {
    stop("the JSON body needs exactly one of dataframe_split, dataframe_records, instances, inputs")
  }
  value <- input[[keys]]
  if (keys == "dataframe_split") {
    columns <- unlist(value$columns)
    if (is.null(columns) || !is.list(value$data)) stop("dataframe_split needs `columns` and `data`")
    return(columns_df(stats::setNames(lapply(seq_along(columns), function(j) {
      lapply(value$data, function(row) row[[j]])
    }), columns)))
  }
  records_df(value)
}

# Records (a list of named lists) or a dict of columns become a data frame; a plain list of
# values stays a vector.
records_df <- function(value) {
  if (is.list(value) && !is.null(names(value))) return(columns_df(value))
  if (length(value) && all(vapply(value, function(r) is.list(r) && !is.null(names(r)), TRUE))) {
    columns <- unique(unlist(lapply(value, names)))
    return(columns_df(stats::setNames(lapply(columns, function(col) {
      lapply(value, function(row) row[[col]])
    }), columns)))
  }
  simplify_column(value)
}

simplify_column <- function(values) {
  if (!is.list(values)) return(values)
  unlist(lapply(values, function(v) if (is.null(v)) NA else v))
}

columns_df <- function(columns) {
  as.data.frame(lapply(columns, simplify_column), stringsAsFactors = FALSE,
                col.names = names(columns), check.names = FALSE)
}
