# Error answers become the classed conditions of docs/design.md.

chain <- function(expr) class(tryCatch(expr, error = function(e) e))

test_that("MLflow JSON errors map by error_code", {
  web <- stub_server()
  client <- test_client(web$url())
  call <- function(status, code) mlflow_request(client, "GET", sprintf("/json-error/%d/%s", status, code))
  expect_equal(
    chain(call(404, "RESOURCE_DOES_NOT_EXIST")),
    c("mlflowrest_resource_does_not_exist", "mlflowrest_api_error", "mlflowrest_error",
      "error", "condition"))
  expect_error(call(400, "RESOURCE_ALREADY_EXISTS"), class = "mlflowrest_resource_already_exists")
  expect_error(call(409, "ALREADY_EXISTS"), class = "mlflowrest_resource_already_exists")
  expect_error(call(400, "INVALID_PARAMETER_VALUE"), class = "mlflowrest_invalid_parameter_value")
  expect_error(call(400, "BAD_REQUEST"), class = "mlflowrest_invalid_parameter_value")
  expect_error(call(403, "PERMISSION_DENIED"), class = "mlflowrest_permission_denied")
  expect_error(call(409, "RESOURCE_CONFLICT"), class = "mlflowrest_conflict")
  expect_error(call(401, "UNAUTHENTICATED"), class = "mlflowrest_unauthenticated")
  expect_error(call(404, "ENDPOINT_NOT_FOUND"), class = "mlflowrest_resource_does_not_exist")
  expect_error(call(501, "NOT_IMPLEMENTED"), class = "mlflowrest_server_error")

  err <- tryCatch(call(404, "RESOURCE_DOES_NOT_EXIST"), error = function(e) e)
  expect_equal(err$http_status, 404L)
  expect_equal(err$error_code, "RESOURCE_DOES_NOT_EXIST")
  expect_equal(err$method, "GET")
  expect_equal(err$path, "/json-error/404/RESOURCE_DOES_NOT_EXIST")
  expect_match(conditionMessage(err), "server says no")
})

test_that("tryCatch by class works as documented", {
  web <- stub_server()
  client <- test_client(web$url())
  value <- tryCatch(
    mlflow_request(client, "GET", "/json-error/404/RESOURCE_DOES_NOT_EXIST"),
    mlflowrest_resource_does_not_exist = function(e) "handled"
  )
  expect_equal(value, "handled")
})

test_that("an unknown error_code falls back on the status", {
  expect_equal(api_error_class("SOMETHING_NEW", 404L), "mlflowrest_resource_does_not_exist")
  expect_equal(api_error_class("SOMETHING_NEW", 502L), "mlflowrest_server_error")
  expect_null(api_error_class("CANCELLED", 499L))
  expect_equal(api_error_class(NULL, 418L), NULL)
})

test_that("HTML and text error bodies map by status, with readable text", {
  web <- stub_server()
  client <- test_client(web$url())
  err <- tryCatch(mlflow_request(client, "GET", "/html-401"), error = function(e) e)
  expect_s3_class(err, "mlflowrest_unauthenticated")
  expect_null(err$error_code)
  expect_match(err$server_message, "Unauthorized")
  expect_false(grepl("<", err$server_message, fixed = TRUE))
  expect_lte(nchar(err$server_message), 200)

  err <- tryCatch(mlflow_request(client, "GET", "/text-403"), error = function(e) e)
  expect_s3_class(err, "mlflowrest_permission_denied")
  expect_equal(err$server_message, "Invalid Host header")
})

test_that("a success whose body is not JSON is an unexpected response", {
  web <- stub_server()
  client <- test_client(web$url())
  err <- expect_error(mlflow_request(client, "GET", "/html-200"), class = "mlflowrest_unexpected_response")
  expect_s3_class(err, "mlflowrest_api_error")
  expect_equal(err$http_status, 200L)
})
