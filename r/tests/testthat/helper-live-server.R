# Integration tests talk to the live server the harness starts (`make test-r`); they skip
# only when MLFLOW_TRACKING_URI is unset.

skip_without_server <- function() {
  skip_if(!nzchar(Sys.getenv("MLFLOW_TRACKING_URI")), "MLFLOW_TRACKING_URI is not set")
}

live_client <- function() {
  skip_without_server()
  mlflow_client(Sys.getenv("MLFLOW_TRACKING_URI"))
}

unique_name <- function(prefix) {
  paste0(prefix, "-", format(Sys.time(), "%H%M%OS3"), "-", sample.int(1e6, 1))
}

# A fresh experiment made active for the fluent API, reset when the test ends.
local_experiment <- function(.local_envir = parent.frame()) {
  skip_without_server()
  id <- mlflow_set_experiment(unique_name("it"))
  withr::defer({
    while (!is.null(mlflowrest:::active_run_id())) mlflow_end_run("KILLED")
    assign("active_experiment_id", NULL, envir = mlflowrest:::.globals)
  }, envir = .local_envir)
  id
}
