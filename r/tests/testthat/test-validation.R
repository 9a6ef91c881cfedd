# Client-side validation fails before any request: the client points at a closed port, so
# a request would be a transport error instead.

expect_invalid <- function(expr, field) {
  err <- expect_error(expr, class = "mlflowrest_invalid_parameter_value")
  expect_null(err$http_status)
  expect_equal(err$field, field)
  expect_false(inherits(err, "mlflowrest_transport_error"))
  invisible(err)
}

client <- function() test_client(closed_port_url(), MLFLOW_HTTP_REQUEST_MAX_RETRIES = "0")

test_that("keys are checked against the server's pattern and length", {
  expect_invalid(mlflow_log_metric("bad,key", 1, run_id = "r1", client = client()), "key")
  expect_invalid(mlflow_log_param("../up", 1, run_id = "r1", client = client()), "key")
  expect_invalid(mlflow_log_param("/abs", 1, run_id = "r1", client = client()), "key")
  expect_invalid(mlflow_set_tag("a//b", 1, run_id = "r1", client = client()), "key")
  err <- expect_invalid(mlflow_log_metric(strrep("k", 251), 1, run_id = "r1", client = client()), "key")
  expect_equal(err$limit, "max_entity_key_length")
  # Allowed characters pass validation and reach the (closed) server.
  expect_error(mlflow_log_metric("a b/c.d-e_f:1", 1, run_id = "r1", client = client()),
               class = "mlflowrest_transport_error")
})

test_that("values are checked against their length limits", {
  err <- expect_invalid(mlflow_log_param("p", strrep("v", 6001), run_id = "r1", client = client()), "value")
  expect_equal(err$limit, "max_param_value_length")
  expect_invalid(mlflow_set_tag("t", strrep("v", 8001), run_id = "r1", client = client()), "value")
  expect_invalid(mlflow_log_batch(tags = list(t = strrep("v", 8001)), run_id = "r1", client = client()),
                 "tag value")
})

test_that("ids, names and aliases are checked", {
  expect_invalid(mlflow_get_run("bad id!", client = client()), "run_id")
  expect_invalid(mlflow_delete_experiment("1 2", client = client()), "experiment_id")
  expect_invalid(mlflow_create_experiment(strrep("n", 501), client = client()), "name")
  expect_invalid(mlflow_set_registered_model_alias("m", "latest", 1, client = client()), "alias")
  expect_invalid(mlflow_set_registered_model_alias("m", "v3", 1, client = client()), "alias")
  expect_invalid(mlflow_search_runs(max_results = 50001, experiment_ids = "0", client = client()),
                 "max_results")
})
