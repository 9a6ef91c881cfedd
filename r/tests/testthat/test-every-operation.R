# Walks openapi/mlflow.yaml: every operation is callable from R (its generated function, through
# mlflow_call_operation) and sent to its route with its arguments under the API's names.

spec_path <- function() {
  candidates <- c(file.path("..", "..", "..", "openapi", "mlflow.yaml"),
                  file.path(Sys.getenv("MLFLOWREST_ROOT", "."), "openapi", "mlflow.yaml"))
  found <- candidates[file.exists(candidates)]
  if (length(found)) found[[1]] else NULL
}

echo_app <- function() {
  app <- webfakes::new_app()
  app$use(webfakes::mw_raw())
  app$all(webfakes::new_regexp(".*"), function(req, res) {
    body <- if (length(req$.body)) rawToChar(req$.body) else ""
    res$send_json(list(method = req$method, path = req$path, query = req$query_string, body = body),
                  auto_unbox = TRUE)
  })
  app
}

# The names an operation takes: path and query parameters, and its JSON body's fields.
spec_arguments <- function(spec, op) {
  params <- vapply(op$parameters %||% list(), function(p) p$name, "")
  ref <- op$requestBody$content$`application/json`$schema$`$ref`
  fields <- if (is.null(ref)) character() else names(spec$components$schemas[[basename(ref)]]$properties)
  unique(c(params, fields))
}

test_that("every operation of the spec is callable and reaches its route with its arguments", {
  path <- spec_path()
  skip_if(is.null(path), "openapi/mlflow.yaml is not reachable from here")
  spec <- yaml::read_yaml(path)
  web <- webfakes::local_app_process(echo_app())
  client <- test_client(web$url())
  seen <- 0L
  for (route in names(spec$paths)) {
    for (method in names(spec$paths[[route]])) {
      op <- spec$paths[[route]][[method]]
      seen <- seen + 1L
      fn <- get(api_operation_functions[[op$operationId]])
      expect_setequal(setdiff(names(formals(fn)), c("client", ".body", ".before_retry", ".upload_file",
                                                    ".download_to")),
                      spec_arguments(spec, op))
      params <- regmatches(route, gregexpr("\\{[^}]+\\}", route))[[1]]
      args <- stats::setNames(as.list(rep("p1", length(params))), gsub("[{}]", "", params))
      # One more argument, by its API name, must reach the server as that name.
      extra <- setdiff(spec_arguments(spec, op), names(args))
      if (length(extra)) args[[extra[[1]]]] <- "v1"
      if (!is.null(formals(fn)$.upload_file)) {
        bytes <- withr::local_tempfile(lines = "bytes")
        answer <- do.call(fn, c(list(client), args, list(.upload_file = bytes)))
      } else if (".download_to" %in% names(formals(fn))) {
        to <- tempfile()
        do.call(fn, c(list(client), args, list(.download_to = to)))
        answer <- jsonlite::fromJSON(to, simplifyVector = FALSE)
        # mlflow_call_operation leaves streaming to the artifact functions, by name.
        err <- expect_error(do.call(mlflow_call_operation, c(list(op$operationId), args, list(client = client))),
                            class = "mlflowrest_invalid_parameter_value")
        expect_match(conditionMessage(err), "artifact functions", info = op$operationId)
      } else {
        answer <- do.call(mlflow_call_operation, c(list(op$operationId), args, list(client = client)))
      }
      expect_equal(toupper(answer$method), toupper(method), info = op$operationId)
      expect_equal(answer$path, gsub("\\{[^}]+\\}", "p1", route), info = op$operationId)
      if (length(extra)) {
        sent <- paste(answer$query, answer$body)
        expect_match(sent, paste0(extra[[1]], "\\W+v1"), info = op$operationId)
      }
    }
  }
  expect_equal(seen, length(rules_operations))
  expect_equal(seen, length(api_operation_functions))
  expect_gt(seen, 100)
})

test_that("unknown operations and parameters are named", {
  err <- expect_error(mlflow_call_operation("noSuchOperation", client = mlflow_client("http://127.0.0.1:9")),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "operation_id")
  err <- expect_error(mlflow_call_operation("getRun", run_id = "r", bogus = 1, client = mlflow_client("http://127.0.0.1:9")),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "bogus")
})

test_that("a path parameter is required and keeps an artifact path's slashes", {
  web <- webfakes::local_app_process(echo_app())
  client <- test_client(web$url())
  err <- expect_error(mlflow_call_operation("getLoggedModel", model_id = "", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "model_id")
  answer <- mlflow_call_operation("deleteArtifact", artifact_path = "0/run 1/a b.txt", client = client)
  expect_equal(answer$path, "/api/2.0/mlflow-artifacts/artifacts/0/run 1/a b.txt")
})
