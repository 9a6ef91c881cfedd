# Artifact downloads and uploads against the stub server: a file is one GET, a folder is a
# GET answered "not a file" and then listings, and a run's artifact root is looked up once
# per client (docs/design.md).

artifact_requests <- function(client) {
  unlist(mlflow_request(client, "GET", "/artifact-requests")$requests)
}

test_that("a file download is exactly one GET", {
  web <- stub_server()
  client <- test_client(web$url())
  dst <- withr::local_tempdir()
  got <- download_artifact_tree(proxied_store("mlflow-artifacts:/0/r1/artifacts", client), "model.bin", dst)
  expect_equal(artifact_requests(client), "get 0/r1/artifacts/model.bin")
  expect_equal(got, normalizePath(file.path(dst, "model.bin")))
  expect_equal(readBin(got, raw(), 1e6), as.raw(rep(0:255, 1000)))
  expect_equal(list.files(dst, all.files = TRUE, no.. = TRUE), "model.bin")
})

test_that("a folder is asked for once, then listed, each subfolder listed directly", {
  web <- stub_server()
  client <- test_client(web$url())
  dst <- withr::local_tempdir()
  got <- download_artifact_tree(proxied_store("mlflow-artifacts:/0/r1/artifacts", client), "data", dst)
  expect_equal(artifact_requests(client), c(
    "get 0/r1/artifacts/data",
    "list 0/r1/artifacts/data",
    "get 0/r1/artifacts/data/a.txt",
    "list 0/r1/artifacts/data/sub",
    "get 0/r1/artifacts/data/sub/b.txt",
    "list 0/r1/artifacts/data/sub/deeper",
    "get 0/r1/artifacts/data/sub/deeper/c.txt"
  ))
  expect_equal(got, normalizePath(file.path(dst, "data")))
  expect_setequal(list.files(got, recursive = TRUE, all.files = TRUE),
                  c("a.txt", "sub/b.txt", "sub/deeper/c.txt"))
  expect_equal(readLines(file.path(got, "sub", "deeper", "c.txt")), "c")
})

test_that("a nested folder path downloads under its own name", {
  web <- stub_server()
  client <- test_client(web$url())
  dst <- withr::local_tempdir()
  got <- download_artifact_tree(proxied_store("mlflow-artifacts:/0/r1/artifacts", client), "data/sub/", dst)
  expect_equal(got, normalizePath(file.path(dst, "sub")))
  expect_setequal(list.files(got, recursive = TRUE), c("b.txt", "deeper/c.txt"))
  expect_equal(artifact_requests(client)[1:2],
               c("get 0/r1/artifacts/data/sub", "list 0/r1/artifacts/data/sub"))
})

test_that("the run's root is a folder: listed, never asked for as a file", {
  web <- stub_server()
  client <- test_client(web$url())
  dst <- withr::local_tempdir()
  got <- mlflow_download_artifacts("", run_id = "r1", client = client, dst_path = dst)
  requests <- artifact_requests(client)
  expect_equal(requests[1:2], c("runs/get r1", "list 0/r1/artifacts"))
  expect_false("get 0/r1/artifacts" %in% requests)
  expect_setequal(list.files(got, recursive = TRUE),
                  c("model.bin", "data/a.txt", "data/sub/b.txt", "data/sub/deeper/c.txt"))
})

test_that("a missing path is resource_does_not_exist and writes nothing", {
  web <- stub_server()
  client <- test_client(web$url())
  dst <- withr::local_tempdir()
  store <- proxied_store("mlflow-artifacts:/0/r1/artifacts", client)
  err <- expect_error(download_artifact_tree(store, "nope/x.bin", dst),
                      class = "mlflowrest_resource_does_not_exist")
  expect_equal(err$http_status, 404L)
  expect_equal(err$error_code, "RESOURCE_DOES_NOT_EXIST")
  expect_equal(artifact_requests(client),
               c("get 0/r1/artifacts/nope/x.bin", "list 0/r1/artifacts/nope/x.bin"))
  expect_length(list.files(dst, recursive = TRUE, all.files = TRUE, no.. = TRUE), 0)
})

test_that("an error answer leaves neither the file nor its .part", {
  web <- stub_server()
  client <- test_client(web$url())
  dst <- withr::local_tempdir()
  target <- file.path(dst, "x.bin")
  expect_error(mlflow_request(client, "GET", "/json-error/404/RESOURCE_DOES_NOT_EXIST",
                              download_to = target),
               class = "mlflowrest_resource_does_not_exist")
  expect_false(file.exists(target))
  expect_false(file.exists(paste0(target, ".part")))
})

test_that("the run's artifact root is looked up once per client and run", {
  web <- stub_server()
  client <- test_client(web$url())
  dst <- withr::local_tempdir()
  file <- withr::local_tempfile(fileext = ".txt")
  writeLines("hello", file)
  mlflow_list_artifacts(run_id = "r1", client = client)
  mlflow_log_artifact(file, run_id = "r1", client = client)
  mlflow_log_artifact(file, artifact_path = "again", run_id = "r1", client = client)
  mlflow_download_artifacts("model.bin", run_id = "r1", client = client, dst_path = dst)
  requests <- artifact_requests(client)
  expect_equal(sum(startsWith(requests, "runs/get")), 1)
  expect_equal(requests, c("runs/get r1", "list 0/r1/artifacts", "get 0/r1/artifacts/model.bin"))
  # Each file is one PUT (the stub fails the very first one once, and it is retried).
  uploads <- vapply(mlflow_request(client, "GET", "/uploads")$uploads, function(u) u$path, "")
  expect_equal(uploads, paste0("0/r1/artifacts/", c(rep(basename(file), 2), file.path("again", basename(file)))))
  # Another client looks the run up itself.
  other <- test_client(web$url())
  mlflow_list_artifacts(run_id = "r1", client = other)
  expect_equal(sum(startsWith(artifact_requests(client), "runs/get")), 2)
})
