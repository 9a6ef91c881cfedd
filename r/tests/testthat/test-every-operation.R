# Walks openapi/mlflow.yaml: every operation is callable from R and sent to its route.

spec_path <- function() {
  candidates <- c(file.path("..", "..", "..", "openapi", "mlflow.yaml"), file.path(Sys.getenv("MLFLOWREST_ROOT", "."), "openapi", "mlflow.yaml"))
  found <- candidates[file.exists(candidates)]
  if (length(found)) found[[1]] else NULL
}

echo_app <- function() {
  app <- webfakes::new_app()
  app$all(webfakes::new_regexp(".*"), function(req, res) {
    res$send_json(list(method = req$method, path = req$path), auto_unbox = TRUE)
  })
  app
}

test_that("every operation of the spec is callable and reaches its route", {
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
      params <- regmatches(route, gregexpr("\\{[^}]+\\}", route))[[1]]
      args <- stats::setNames(as.list(rep("p1", length(params))), gsub("[{}]", "", params))
      answer <- tryCatch(do.call(mlflow_call_operation, c(list(op$operationId), args, list(client = client))),
                         mlflowrest_invalid_parameter_value = function(e) e)
      if (inherits(answer, "condition")) {
        # byte-streaming operations are the artifact functions'
        expect_match(conditionMessage(answer), "artifact functions", info = op$operationId)
        expect_match(route, "artifacts/\\{", info = op$operationId)
        next
      }
      expect_equal(toupper(answer$method), toupper(method), info = op$operationId)
      expect_equal(answer$path, gsub("\\{[^}]+\\}", "p1", route), info = op$operationId)
    }
  }
  expect_equal(seen, length(rules_operations))
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
