# R workloads for bench/run.py, one measurement per R process:
#   Rscript bench/r/bench.R <workload> <client> <size> <tracking_uri>
# prints one JSON object like bench/pyworkloads.py. Clients: sdk (mlflowrest), sdk-journal (with
# MLFLOWREST_JOURNAL_DIR set), floor (the same JSON through curl with one reused handle).
args <- commandArgs(trailingOnly = TRUE)
workload <- args[[1]]; client_kind <- args[[2]]; size <- as.numeric(args[[3]]); uri <- args[[4]]
started <- proc.time()
suppressPackageStartupMessages(library(mlflowrest))

now_ms <- function() round(as.numeric(Sys.time()) * 1000)
handle <- curl::new_handle()
post <- function(path, body) {
  # One reused handle is the floor: same connection, same JSON.
  curl::handle_setopt(handle, copypostfields = body)
  curl::handle_setheaders(handle, "Content-Type" = "application/json")
  r <- curl::curl_fetch_memory(paste0(uri, "/api/2.0/mlflow/", path), handle = handle)
  if (r$status_code != 200) stop(sprintf("%s -> %d %s", path, r$status_code, rawToChar(r$content)))
  jsonlite::fromJSON(rawToChar(r$content), simplifyVector = FALSE)
}
new_run <- function() post("runs/create", sprintf('{"experiment_id":"0","start_time":%.0f}', now_ms()))$run$info$run_id

measure <- function(work, per) {
  t0 <- proc.time()
  work()
  t <- proc.time() - t0
  wall <- t[["elapsed"]]; cpu <- t[["user.self"]] + t[["sys.self"]]
  sprintf('{"seconds": %.6f, "cpu": %.6f, "per_item_ms": %.6f, "cpu_per_item_ms": %.6f}',
          wall, cpu, wall / per * 1000, cpu / per * 1000)
}

# sdk-journal: the same SDK with the on-disk journal (docs/journal.md) in a fresh folder.
if (client_kind == "sdk-journal") Sys.setenv(MLFLOWREST_JOURNAL_DIR = tempfile("mlflowrest-bench-journal-"))
client <- mlflow_client(uri)
out <- switch(workload,
  log_metric = {
    run <- new_run()
    one <- if (client_kind == "sdk") function(i) mlflow_log_metric("m", i, timestamp = now_ms(), step = i, run_id = run, client = client)
           else function(i) post("runs/log-metric", sprintf('{"run_id":"%s","key":"m","value":%d,"timestamp":%.0f,"step":%d}', run, i, now_ms(), i))
    one(-1)
    measure(function() for (i in seq_len(size)) one(i), size)
  },
  log_batch = {
    run <- new_run(); ts <- now_ms(); i <- seq_len(size) - 1
    if (client_kind == "sdk") {
      measure(function() mlflow_log_batch(metrics = data.frame(key = paste0("m", i %% 10), value = i * 0.5,
                                                               timestamp = ts, step = i), run_id = run, client = client), size)
    } else {
      measure(function() {
        for (start in seq(0, size - 1, by = 1000)) {
          k <- start:min(size - 1, start + 999)
          body <- sprintf('{"run_id":"%s","metrics":[%s]}', run, paste(sprintf(
            '{"key":"m%d","value":%s,"timestamp":%.0f,"step":%d}', k %% 10, format(k * 0.5), ts, k), collapse = ","))
          post("runs/log-batch", body)
        }
      }, size)
    }
  },
  typical_run = {
    one <- if (client_kind == "sdk") function() {
      run <- mlflow_start_run(experiment_id = "0", client = client)
      for (k in 0:9) mlflow_log_param(paste0("p", k), k, run_id = run$run_id, client = client)
      for (k in 0:9) mlflow_log_metric(paste0("m", k), k, step = 0, run_id = run$run_id, client = client)
      for (k in 0:4) mlflow_set_tag(paste0("t", k), "v", run_id = run$run_id, client = client)
      mlflow_end_run("FINISHED", run_id = run$run_id, client = client)
    } else function() {
      run <- new_run()
      for (k in 0:9) post("runs/log-parameter", sprintf('{"run_id":"%s","key":"p%d","value":"%d"}', run, k, k))
      for (k in 0:9) post("runs/log-metric", sprintf('{"run_id":"%s","key":"m%d","value":%d,"timestamp":%.0f,"step":0}', run, k, k, now_ms()))
      for (k in 0:4) post("runs/set-tag", sprintf('{"run_id":"%s","key":"t%d","value":"v"}', run, k))
      post("runs/update", sprintf('{"run_id":"%s","status":"FINISHED","end_time":%.0f}', run, now_ms()))
    }
    one()
    measure(function() for (k in seq_len(size)) one(), size)
  },
  training_loop = {
    # The background logger: each call buffers the point and pumps curl's multi pool;
    # mlflow_end_run() waits until every point is stored (durable_after_loop_s).
    run <- mlflow_start_run(experiment_id = "0", client = client, background = TRUE)
    t0 <- proc.time()
    for (step in seq_len(size) - 1) mlflow_log_metric("loss", 1 / (step + 1), step = step, run_id = run$run_id, client = client)
    loop <- (proc.time() - t0)[["elapsed"]]
    mlflow_end_run("FINISHED", run_id = run$run_id, client = client)
    durable <- (proc.time() - t0)[["elapsed"]]
    stored <- nrow(mlflow_get_metric_history("loss", run_id = run$run_id, client = client))
    if (stored != size) stop(sprintf("%d of %d points stored", stored, size))
    sprintf('{"seconds": %.6f, "per_call_us": %.3f, "loop_seconds": %.6f, "durable_after_loop_s": %.6f}',
            durable, loop / size * 1e6, loop, durable - loop)
  },
  artifacts = {
    tmp <- tempfile("mlflowrest-bench-"); dir.create(tmp)
    src <- file.path(tmp, "blob.bin")
    con <- file(src, "wb"); block <- as.raw(sample(0:255, 2^20, replace = TRUE))
    for (k in seq_len(size / 2^20)) writeBin(block, con)
    close(con)
    run <- new_run(); out_dir <- file.path(tmp, "out"); dir.create(out_dir)
    # A first listing takes the run lookup and connection set-up out of the timing; the floor
    # looks its run up here too, so both time the transfers alone.
    invisible(mlflow_list_artifacts(run_id = run, client = client))
    if (client_kind != "sdk") {
      info <- jsonlite::fromJSON(rawToChar(curl::curl_fetch_memory(paste0(uri, "/api/2.0/mlflow/runs/get?run_id=", run))$content))
      target <- paste0(uri, "/api/2.0/mlflow-artifacts/artifacts/", sub("^mlflow-artifacts:/", "", info$run$info$artifact_uri), "/blob.bin")
    }
    t0 <- proc.time()
    if (client_kind == "sdk") {
      mlflow_log_artifact(src, run_id = run, client = client)
      t1 <- proc.time()
      mlflow_download_artifacts("blob.bin", run_id = run, client = client, dst_path = out_dir)
    } else {
      h <- curl::new_handle(upload = TRUE, infilesize_large = file.size(src), customrequest = "PUT")
      fh <- file(src, "rb")
      curl::handle_setopt(h, readfunction = function(n) readBin(fh, raw(), n))
      curl::curl_fetch_memory(target, handle = h); close(fh)
      t1 <- proc.time()
      curl::curl_download(target, file.path(out_dir, "blob.bin"), handle = curl::new_handle())
    }
    t2 <- proc.time()
    got <- file.size(file.path(out_dir, "blob.bin"))
    if (got != size) stop(sprintf("downloaded %.0f of %.0f bytes", got, size))
    # Peak resident memory of the whole process (R heap, curl buffers, everything), as Python's ru_maxrss.
    status <- readLines("/proc/self/status")
    peak <- as.numeric(gsub("[^0-9]", "", status[startsWith(status, "VmHWM:")])) / 1024
    unlink(tmp, recursive = TRUE)
    secs <- (t2 - t0)[["elapsed"]]
    sprintf('{"seconds": %.6f, "upload_s": %.6f, "download_s": %.6f, "mb_per_s": %.3f, "peak_rss_mb": %.1f}',
            secs, (t1 - t0)[["elapsed"]], (t2 - t1)[["elapsed"]], 2 * size / secs / 1e6, peak)
  },
  first_metric = {
    if (client_kind == "sdk") {
      run <- mlflow_start_run(experiment_id = "0", client = client)
      mlflow_log_metric("m", 1, run_id = run$run_id, client = client)
    } else {
      run <- new_run()
      post("runs/log-metric", sprintf('{"run_id":"%s","key":"m","value":1,"timestamp":%.0f,"step":0}', run, now_ms()))
    }
    sprintf('{"seconds": %.6f}', (proc.time() - started)[["elapsed"]])
  },
  stop("unknown workload ", workload)
)
cat(out, "\n")
