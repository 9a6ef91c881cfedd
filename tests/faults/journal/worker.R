# The R side of tests/faults/test_journal.py, through the fluent API only:
#   worker.R loop --experiment NAME --points N --seed S   (journal mode: MLFLOWREST_JOURNAL_DIR)
#   worker.R offline --experiment NAME                    (MLFLOW_TRACKING_URI=offline:DIR)
library(mlflowrest)
args <- commandArgs(trailingOnly = TRUE)
option <- function(name) args[[match(paste0("--", name), args) + 1L]]
emit <- function(...) {
  cat(jsonlite::toJSON(list(...), auto_unbox = TRUE), "\n", sep = "")
  flush(stdout())
}

mlflow_set_experiment(option("experiment"))
if (args[[1]] == "loop") {
  points <- as.integer(option("points"))
  seed <- as.numeric(option("seed"))
  run <- mlflow_start_run(background = TRUE)
  emit(run_id = run$run_id)
  for (i in seq_len(points) - 1L) {
    mlflow_log_metric("loss", ((seed * 1000003 + i) %% 1000) / 1000, timestamp = 1700000000000 + i, step = i)
    if ((i + 1L) %% 1000L == 0L) emit(logged = i + 1L)
  }
  ended <- mlflow_end_run()
  left <- attr(ended, "left_for_sync")
  emit(done = TRUE, left_for_sync = if (is.null(left)) 0L else as.integer(left))
} else if (args[[1]] == "offline") {
  run <- mlflow_start_run(tags = list(mlflow.runName = "offline-run"))
  mlflow_log_param("alpha", 0.5)
  mlflow_log_param("layers", 3)
  mlflow_set_tag("team", "ml")
  for (step in 0:99) mlflow_log_metric("loss", 1 / (step + 1), timestamp = 1700000000000 + step, step = step)
  mlflow_log_metric("accuracy", 0.9, timestamp = 1700000000000, step = 0)
  work <- tempfile("offline-artifacts-")
  dir.create(file.path(work, "model", "conf"), recursive = TRUE)
  writeBin(charToRaw('{"groups": 3}'), file.path(work, "summary.json"))
  writeBin(as.raw(rep(0:255, 4)), file.path(work, "model", "weights.bin"))
  writeBin(charToRaw("alpha=0.5\n"), file.path(work, "model", "conf", "params.txt"))
  mlflow_log_artifact(file.path(work, "summary.json"), artifact_path = "reports")
  mlflow_log_artifact(file.path(work, "model"), artifact_path = "model")
  mlflow_end_run("FINISHED")
  emit(run_id = run$run_id)
} else {
  stop("usage: worker.R loop|offline --experiment NAME [--points N --seed S]")
}
