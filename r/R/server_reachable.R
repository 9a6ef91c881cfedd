# Help-page examples that need a server run only where one answers: R CMD check runs
# them without MLFLOW_TRACKING_URI, `make test-r` could run them against the harness.
server_reachable <- function() {
  client <- tryCatch(mlflow_client(), error = function(e) NULL)
  if (is.null(client)) return(FALSE)
  client$max_retries <- 0
  client$timeout <- 5
  tryCatch({
    api_experiments_search(client, max_results = 1)
    TRUE
  }, error = function(e) FALSE)
}
