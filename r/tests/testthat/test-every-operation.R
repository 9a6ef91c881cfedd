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
      # The required arguments and one more, by their API names, must reach the server so named.
      required <- api_operation_checks[[op$operationId]]$required
      for (name in setdiff(required, names(args))) args[[name]] <- "v1"
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
      } else if (!is.null(operation_overrides[[op$operationId]])) {
        answer <- do.call(fn, c(list(client), args))  # the override sends several: tested below
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
  nowhere <- mlflow_client("http://127.0.0.1:9")
  err <- expect_error(mlflow_call_operation("getRun", run_id = "r", bogus = 1, client = nowhere),
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

test_that("logBatch through mlflow_call_operation takes any number of points, in chunks", {
  web <- stub_server()
  client <- test_client(web$url())
  metrics <- lapply(0:2499, function(i) {
    list(key = "m", value = if (i == 7) "NaN" else i / 2, timestamp = 1700000000000, step = i)
  })
  params <- lapply(1:150, function(i) list(key = paste0("p", i), value = as.character(i)))
  answer <- mlflow_call_operation("logBatch", run_id = "chunked-1", metrics = metrics, params = params,
                                  client = client)
  expect_equal(answer, structure(list(), names = character()))
  bodies <- lapply(mlflow_request(client, "GET", "/batches")$bodies, jsonlite::fromJSON, simplifyVector = FALSE)
  expect_gte(length(bodies), 3L)
  points <- unlist(lapply(bodies, function(b) lapply(b$metrics, function(m) m$step)))
  expect_equal(sort(points), 0:2499)
  expect_equal(sum(vapply(bodies, function(b) length(b$params), 1L)), 150L)
  nan <- Filter(function(m) m$step == 7, unlist(lapply(bodies, function(b) b$metrics), recursive = FALSE))
  expect_equal(nan[[1]]$value, "NaN")
  err <- expect_error(mlflow_call_operation("logBatch", metrics = metrics, client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "run_id")
})

test_that("the spec's constraints are checked before sending, naming the field and the limit", {
  client <- mlflow_client("http://127.0.0.1:9")  # nothing listens: a request would fail otherwise
  err <- expect_error(mlflow_call_operation("logParam", run_id = "r", key = "k", value = strrep("x", 6001),
                                            client = client), class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "value")
  expect_equal(err$limit, 6000L)
  err <- expect_error(mlflow_call_operation("logParam", run_id = "r", key = "bad key!", value = "1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "key")
  err <- expect_error(mlflow_call_operation("logParam", run_id = "r", value = "1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "key")
  err <- expect_error(mlflow_call_operation("searchExperiments", max_results = 0, client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "max_results")
})

test_that("an int64 beyond a double's precision, given as digits, goes out as that exact number", {
  web <- webfakes::local_app_process(echo_app())
  client <- test_client(web$url())
  answer <- mlflow_call_operation("logMetric", run_id = "r", key = "k", value = 1, timestamp = 1700000000000,
                                  step = "4611686018427387905", client = client)
  expect_match(answer$body, '"step":4611686018427387905[,}]')
  err <- expect_error(mlflow_call_operation("logMetric", run_id = "r", key = "k", value = 1, timestamp = 1,
                                            step = "9223372036854775808", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "step")
})

test_that("an int64 given as a double is checked too: outside int64, or beyond 2^53, it is refused", {
  client <- mlflow_client("http://127.0.0.1:9")  # nothing listens: a request would fail otherwise
  # A JSON reader hands 9223372036854775813 over as a double (it does not fit int64).
  err <- expect_error(mlflow_call_operation("logMetric", run_id = "r", key = "k", value = 1, timestamp = 1,
                                            step = 9223372036854775813, client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "step")
  expect_match(err$limit, "le=9223372036854775807", fixed = TRUE)
  err <- expect_error(mlflow_call_operation("logMetric", run_id = "r", key = "k", value = 1, step = 0,
                                            timestamp = -9223372036854775809, client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "timestamp")
  err <- expect_error(mlflow_call_operation("logMetric", run_id = "r", key = "k", value = 1, timestamp = 1,
                                            step = 2^53 + 2, client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$limit, "2^53")
})
