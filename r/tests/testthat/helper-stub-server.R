# A scripted HTTP server on 127.0.0.1 (webfakes, in a child process) for the unit tests
# of the request helper: it answers with chosen statuses and bodies and counts attempts.

stub_app <- function() {
  app <- webfakes::new_app()
  app$locals$hits <- list()
  app$locals$batches <- list()
  app$locals$created <- list()
  app$locals$uploads <- list()
  # The app runs in another process: what its handlers call must live in this closure.
  digest_raw <- digest_raw
  hit <- function(req, key) {
    n <- (req$app$locals$hits[[key]] %||% 0) + 1
    req$app$locals$hits[[key]] <- n
    n
  }

  # /seq/<key>?codes=503,429,200: the n-th request for <key> gets the n-th status, the
  # last one repeating. &retry_after=<v> adds that header, &code=<X> sets the error_code.
  app$get("/seq/:key", function(req, res) {
    n <- hit(req, req$params$key)
    codes <- as.integer(strsplit(req$query$codes, ",", fixed = TRUE)[[1]])
    status <- codes[min(n, length(codes))]
    if (!is.null(req$query[["retry_after"]])) res$set_header("Retry-After", req$query[["retry_after"]])
    if (status < 300) {
      res$send_json(list(ok = TRUE, attempt = n), auto_unbox = TRUE)
    } else {
      res$set_status(status)$send_json(
        list(error_code = req$query[["code"]] %||% "TEMPORARILY_UNAVAILABLE", message = "try later"),
        auto_unbox = TRUE)
    }
  })
  # /overload/<key>/<kind>: the first request gets the server's or a proxy's real overload
  # answer (family-rules.yaml, retry.overload), later ones succeed.
  app$get("/overload/:key/:kind", function(req, res) {
    n <- hit(req, req$params$key)
    if (n > 1) return(res$send_json(list(ok = TRUE, attempt = n), auto_unbox = TRUE))
    switch(req$params$kind,
      queuepool = res$set_status(400L)$send_json(list(error_code = "BAD_REQUEST", message = paste(
        "(sqlalchemy.exc.TimeoutError) QueuePool limit of size 5 overflow 10 reached,",
        "connection timed out, timeout 30.00")), auto_unbox = TRUE),
      locked = res$set_status(500L)$send_json(list(error_code = "INTERNAL_ERROR",
        message = "(sqlite3.OperationalError) database is locked"), auto_unbox = TRUE),
      plain400 = res$set_status(400L)$send_json(list(error_code = "BAD_REQUEST", message = "bad key"),
        auto_unbox = TRUE),
      res$set_status(as.integer(req$params$kind))$set_type("text/html")$send(
        "<html><body>no healthy upstream</body></html>"))
  })
  app$get("/redirect", function(req, res) {
    res$set_status(302L)$set_header("Location", "https://sso.example/login?next=x")$send("")
  })
  # A model version create whose answer is lost (502 from a proxy) after the server made it.
  app$post("/api/2.0/mlflow/model-versions/create", function(req, res) {
    body <- jsonlite::fromJSON(rawToChar(req$.body), simplifyVector = FALSE)
    hit(req, "mv-create")
    req$app$locals$created[["mv"]] <- body$tags[[length(body$tags)]]$value
    res$set_status(502L)$set_type("text/html")$send("<html>bad gateway</html>")
  })
  app$get("/api/2.0/mlflow/model-versions/search", function(req, res) {
    id <- req$app$locals$created[["mv"]] %||% "none"
    found <- if (grepl(id, req$query$filter, fixed = TRUE)) list(list(name = "m", version = "3")) else list()
    res$send_json(list(model_versions = found), auto_unbox = TRUE)
  })
  app$post("/api/2.0/mlflow/webhooks/:id/test", function(req, res) {
    hit(req, "webhook-test")
    res$set_status(503L)$send_json(list(error_code = "TEMPORARILY_UNAVAILABLE", message = "busy"),
                                   auto_unbox = TRUE)
  })
  app$get("/hits/:key", function(req, res) {
    res$send_json(list(hits = req$app$locals$hits[[req$params$key]] %||% 0), auto_unbox = TRUE)
  })
  # Sets a cookie and says which cookie came with the request.
  app$get("/cookie", function(req, res) {
    res$set_header("Set-Cookie", "sid=abc; Path=/")
    res$send_json(list(cookie = req$get_header("Cookie") %||% "none"), auto_unbox = TRUE)
  })
  app$get("/json-error/:status/:code", function(req, res) {
    res$set_status(as.integer(req$params$status))$send_json(
      list(error_code = req$params$code, message = "server says no"), auto_unbox = TRUE)
  })
  # The basic-auth app's 401 and the Host guard's 403 are not JSON.
  app$get("/html-401", function(req, res) {
    res$set_status(401L)$set_header("WWW-Authenticate", 'Basic realm="mlflow"')$
      set_type("text/html")$send(paste0(
        "<!doctype html><html><head><title>401 Unauthorized</title></head><body>",
        "<h1>Unauthorized</h1><p>You are not authenticated. ", strrep("x", 400), "</p></body></html>"))
  })
  app$get("/text-403", function(req, res) {
    res$set_status(403L)$set_type("text/plain")$send("Invalid Host header")
  })
  app$get("/html-200", function(req, res) {
    res$set_type("text/html")$send("<html><body>not an API</body></html>")
  })
  app$get("/slow", function(req, res) {
    Sys.sleep(3)
    res$send_json(list(ok = TRUE), auto_unbox = TRUE)
  })
  # Says whether the expected credentials arrived, without echoing them.
  app$get("/auth-check", function(req, res) {
    res$send_json(list(authorization = req$get_header("Authorization") %||% ""), auto_unbox = TRUE)
  })
  # The run id picks the behaviour: "slow-*" answers after 0.2 s, "flaky-*" gets 503 for
  # its first two requests, "down-*" always 503. Only stored bodies are kept.
  app$post("/api/2.0/mlflow/runs/log-batch", function(req, res) {
    body <- rawToChar(req$.body)
    run_id <- jsonlite::fromJSON(body, simplifyVector = FALSE)$run_id %||% ""
    n <- hit(req, paste0("batch-", run_id))
    if (startsWith(run_id, "slow-")) Sys.sleep(0.2)
    # queuepool-*: the first request meets a full connection pool; busy-*: the first three.
    if ((startsWith(run_id, "queuepool-") && n <= 1) || (startsWith(run_id, "busy-") && n <= 3)) {
      return(res$set_status(400L)$send_json(list(error_code = "BAD_REQUEST", message = paste(
        "(sqlalchemy.exc.TimeoutError) QueuePool limit of size 5 overflow 10 reached,",
        "connection timed out, timeout 30.00")), auto_unbox = TRUE))
    }
    # refuse-*: a batch holding a negative timestamp is refused whole, as MLflow does.
    refused <- startsWith(run_id, "refuse-") && grepl('"timestamp":-', body, fixed = TRUE)
    if (refused || startsWith(run_id, "deleted-")) {
      return(res$set_status(400L)$send_json(list(error_code = "INVALID_PARAMETER_VALUE", message = if (refused)
        "Metric timestamp must be non-negative" else "The run must be in the 'active' state"), auto_unbox = TRUE))
    }
    if (startsWith(run_id, "down-") || (startsWith(run_id, "flaky-") && n <= 2)) {
      return(res$set_status(503L)$send_json(
        list(error_code = "TEMPORARILY_UNAVAILABLE", message = "try later"), auto_unbox = TRUE))
    }
    req$app$locals$batches[[length(req$app$locals$batches) + 1L]] <- body
    res$send_json(structure(list(), names = character()))
  })
  app$post("/api/2.0/mlflow/runs/log-metric", function(req, res) {
    req$app$locals$batches[[length(req$app$locals$batches) + 1L]] <- rawToChar(req$.body)
    res$send_json(structure(list(), names = character()))
  })
  app$get("/batches", function(req, res) {
    res$send_json(list(bodies = unlist(req$app$locals$batches)))
  })
  # runs/create whose first answer is lost: the run is made, then a 503 goes back.
  app$post("/api/2.0/mlflow/runs/create", function(req, res) {
    body <- jsonlite::fromJSON(rawToChar(req$.body), simplifyVector = FALSE)
    n <- hit(req, "create")
    run <- list(info = list(run_id = sprintf("run%d", n), run_uuid = sprintf("run%d", n),
                            experiment_id = body$experiment_id, status = "RUNNING",
                            artifact_uri = "mlflow-artifacts:/0/x/artifacts"),
                data = list(tags = body$tags))
    req$app$locals$created[[length(req$app$locals$created) + 1L]] <- run
    req$app$locals$last_create_body <- rawToChar(req$.body)
    if (n == 1) {
      res$set_status(503L)$send_json(list(error_code = "TEMPORARILY_UNAVAILABLE", message = "lost"),
                                     auto_unbox = TRUE)
    } else {
      res$send_json(list(run = run), auto_unbox = TRUE)
    }
  })
  app$get("/created-runs", function(req, res) {
    res$send_json(list(last = req$app$locals$last_create_body), auto_unbox = TRUE)
  })
  app$post("/api/2.0/mlflow/runs/search", function(req, res) {
    body <- jsonlite::fromJSON(rawToChar(req$.body), simplifyVector = FALSE)
    wanted <- sub(".*= '([^']*)'.*", "\\1", body$filter)
    found <- Filter(function(run) {
      any(vapply(run$data$tags, function(t) identical(t$value, wanted), logical(1)))
    }, req$app$locals$created)
    res$send_json(list(runs = found), auto_unbox = TRUE)
  })
  # Artifact upload whose first try fails after the body arrived: the retry must send the
  # whole file again.
  app$put(new_regexp("^/api/2.0/mlflow-artifacts/artifacts/(?<path>.*)$"), function(req, res) {
    n <- hit(req, "upload")
    req$app$locals$uploads[[length(req$app$locals$uploads) + 1L]] <- list(
      path = req$params$path, size = length(req$.body), md5 = digest_raw(req$.body))
    if (n == 1) return(res$set_status(502L)$send("<html>bad gateway</html>"))
    res$send_json(structure(list(), names = character()))
  })
  # A run's artifacts as MLflow 3 serves them: GET <path> gives a file's bytes, 400 "not a
  # file" for a folder and 404 RESOURCE_DOES_NOT_EXIST otherwise; GET ?path= lists a
  # folder's direct entries (an empty object for a path that is not a folder). Every
  # artifact request and runs/get is logged, in order, for /artifact-requests.
  tree <- stub_artifact_tree()
  log_request <- function(req, what) {
    req$app$locals$artifact_requests <- c(req$app$locals$artifact_requests, what)
  }
  app$get("/api/2.0/mlflow/runs/get", function(req, res) {
    log_request(req, paste("runs/get", req$query$run_id))
    res$send_json(list(run = list(
      info = list(run_id = req$query$run_id, run_uuid = req$query$run_id, experiment_id = "0",
                  status = "RUNNING", artifact_uri = "mlflow-artifacts:/0/r1/artifacts",
                  lifecycle_stage = if (startsWith(req$query$run_id, "deleted-")) "deleted" else "active"),
      data = structure(list(), names = character()))), auto_unbox = TRUE)
  })
  app$get("/api/2.0/mlflow-artifacts/artifacts", function(req, res) {
    dir <- sub("/+$", "", req$query$path %||% "")
    log_request(req, paste("list", dir))
    prefix <- paste0(dir, "/")
    below <- substring(names(tree)[startsWith(names(tree), prefix)], nchar(prefix) + 1L)
    if (length(below) == 0L) return(res$send_json(structure(list(), names = character())))
    first <- sub("/.*$", "", below)
    files <- lapply(unique(first), function(name) {
      is_dir <- any(first == name & grepl("/", below, fixed = TRUE))
      if (is_dir) list(path = name, is_dir = TRUE)
      else list(path = name, is_dir = FALSE, file_size = length(tree[[paste0(prefix, name)]]))
    })
    res$send_json(list(files = files), auto_unbox = TRUE)
  })
  app$get(new_regexp("^/api/2.0/mlflow-artifacts/artifacts/(?<path>.+)$"), function(req, res) {
    path <- sub("/+$", "", req$params$path)
    log_request(req, paste("get", path))
    if (!is.null(tree[[path]])) {
      return(res$set_type("application/octet-stream")$send(tree[[path]]))
    }
    if (any(startsWith(names(tree), paste0(path, "/")))) {
      return(res$set_status(400L)$send_json(list(
        detail = paste("Artifact path refers to a directory, not a file:", path)), auto_unbox = TRUE))
    }
    res$set_status(404L)$send_json(list(error_code = "RESOURCE_DOES_NOT_EXIST",
                                        message = paste("No such file or directory:", path)),
                                   auto_unbox = TRUE)
  })
  app$get("/artifact-requests", function(req, res) {
    res$send_json(list(requests = I(req$app$locals$artifact_requests %||% character())))
  })
  app$get("/uploads", function(req, res) {
    res$send_json(list(uploads = req$app$locals$uploads), auto_unbox = TRUE)
  })
  # experiments/create whose first answer is lost: the retry is told RESOURCE_ALREADY_EXISTS.
  app$post("/api/2.0/mlflow/experiments/create", function(req, res) {
    body <- jsonlite::fromJSON(rawToChar(req$.body), simplifyVector = FALSE)
    n <- hit(req, "create-experiment")
    if (n == 1) {
      req$app$locals$experiment <- list(experiment_id = "7", name = body$name, tags = body$tags)
      return(res$set_status(503L)$send_json(
        list(error_code = "TEMPORARILY_UNAVAILABLE", message = "lost"), auto_unbox = TRUE))
    }
    res$set_status(400L)$send_json(list(error_code = "RESOURCE_ALREADY_EXISTS",
                                        message = "exists"), auto_unbox = TRUE)
  })
  app$get("/api/2.0/mlflow/experiments/get-by-name", function(req, res) {
    res$send_json(list(experiment = req$app$locals$experiment), auto_unbox = TRUE)
  })
  app
}

# The stub run's artifacts under its root 0/r1/artifacts, by full path.
stub_artifact_tree <- function() {
  root <- "0/r1/artifacts/"
  files <- list(
    "model.bin" = as.raw(rep(0:255, 1000)),
    "data/a.txt" = charToRaw("a\n"),
    "data/sub/b.txt" = charToRaw("b\n"),
    "data/sub/deeper/c.txt" = charToRaw("c\n")
  )
  stats::setNames(files, paste0(root, names(files)))
}

new_regexp <- function(x) structure(x, class = "webfakes_regexp")

# A checksum without extra packages: the bytes weighted by their positions.
digest_raw <- function(bytes) sum(as.numeric(bytes) * seq_along(bytes)) %% 1e9

`%||%` <- function(x, y) if (is.null(x)) y else x

stub_server <- function(.local_envir = parent.frame()) {
  webfakes::local_app_process(stub_app(), .local_envir = .local_envir)
}

# A client for `url` that retries without sleeping (factor and jitter 0).
test_client <- function(url, ..., .local_envir = parent.frame()) {
  withr::local_envvar(c(
    MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR = "0", MLFLOW_HTTP_REQUEST_BACKOFF_JITTER = "0",
    MLFLOW_TRACKING_TOKEN = NA, MLFLOW_TRACKING_USERNAME = NA, MLFLOW_TRACKING_PASSWORD = NA,
    ...
  ))
  mlflow_client(url)
}

# A port nothing listens on: bind, note the port, close.
closed_port_url <- function() {
  "http://127.0.0.1:9"
}
