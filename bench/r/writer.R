# One R writer process of bench/many_writers.py, as bench/writer.py is for Python: logs POINTS
# metric points to one run in 500-point log-batch requests through one client, once GO_FILE appears.
#   Rscript bench/r/writer.R CLIENT URI RUN_ID POINTS GO_FILE
# CLIENT: sdk (mlflowrest), raw (curl with one reused handle, no retries: the floor).
# Prints one JSON line: points sent, errors surfaced, CPU seconds and the wall-clock window.
args <- commandArgs(trailingOnly = TRUE)
kind <- args[[1]]; uri <- args[[2]]; run_id <- args[[3]]; points <- as.integer(args[[4]]); go <- args[[5]]
batch <- 500L
suppressPackageStartupMessages(library(mlflowrest))

send <- if (kind == "sdk") {
  client <- mlflow_client(uri)
  function(rows) mlflow_log_batch(metrics = rows, run_id = run_id, client = client)
} else if (kind == "raw") {
  handle <- curl::new_handle()
  curl::handle_setheaders(handle, "Content-Type" = "application/json")
  function(rows) {
    body <- sprintf('{"run_id":"%s","metrics":[%s]}', run_id, paste(sprintf(
      '{"key":"%s","value":%s,"timestamp":%.0f,"step":%d}', rows$key, as.character(rows$value), rows$timestamp, rows$step),
      collapse = ","))
    curl::handle_setopt(handle, copypostfields = body)
    r <- curl::curl_fetch_memory(paste0(uri, "/api/2.0/mlflow/runs/log-batch"), handle = handle)
    if (r$status_code != 200) stop(sprintf("HTTP %d %s", r$status_code, substr(rawToChar(r$content), 1, 200)))
  }
} else stop("unknown client ", kind)

file.create(sprintf("%s.ready.%d", go, Sys.getpid()))
deadline <- Sys.time() + 300
while (!file.exists(go)) {
  if (Sys.time() > deadline) { cat('{"error": "start file never appeared"}\n'); quit(status = 1) }
  Sys.sleep(0.005)
}
t0 <- proc.time(); began <- as.numeric(Sys.time())
base <- round(began * 1000)
sent <- 0L; errors <- 0L
for (first in seq(0L, points - 1L, by = batch)) {
  i <- first:min(points - 1L, first + batch - 1L)
  rows <- data.frame(key = paste0("m", i %% 10), value = as.numeric(i), timestamp = base + i, step = i)
  # every client's error is counted: that is the measurement
  ok <- tryCatch({ send(rows); TRUE }, error = function(e) {
    message("writer error: ", class(e)[[1]], ": ", substr(conditionMessage(e), 1, 200)); FALSE
  })
  if (ok) sent <- sent + length(i) else errors <- errors + 1L
}
used <- proc.time() - t0
cat(sprintf('{"sent": %d, "errors": %d, "cpu": %.6f, "start": %.3f, "end": %.3f}\n', sent, errors,
            used[["user.self"]] + used[["sys.self"]], began, as.numeric(Sys.time())))
