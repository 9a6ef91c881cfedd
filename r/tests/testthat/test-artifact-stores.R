# The artifact-repository layer: scheme selection, AWS SigV4 (AWS's published vectors),
# S3 and Databricks through a stub of those services, Azure Shared Key, URI resolution.

aws_doc_credentials <- function() {
  list(access_key_id = "AKIAIOSFODNN7EXAMPLE",
       secret_access_key = secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
}

signature_of <- function(headers) sub("^.*Signature=", "", headers$Authorization)

test_that("SigV4 reproduces AWS's published S3 examples", {
  at <- as.POSIXct("2013-05-24 00:00:00", tz = "UTC")
  host <- "examplebucket.s3.amazonaws.com"
  # "Example: GET Object" (a Range header among the signed headers).
  get <- sigv4_headers("GET", host, "/test.txt", "", list(Range = "bytes=0-9"), empty_payload_sha256,
                       aws_doc_credentials(), "us-east-1", "s3", at)
  expect_equal(signature_of(get), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
  expect_match(get$Authorization, "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,", fixed = TRUE)
  # "Example: GET Bucket Lifecycle" (a valueless query parameter).
  lifecycle <- sigv4_headers("GET", host, "/", aws_query(list(lifecycle = "")), list(), empty_payload_sha256,
                             aws_doc_credentials(), "us-east-1", "s3", at)
  expect_equal(signature_of(lifecycle), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
  # "Example: Get Bucket (List Objects)" (query parameters sorted and encoded).
  listing <- sigv4_headers("GET", host, "/", aws_query(list(prefix = "J", `max-keys` = 2)), list(),
                           empty_payload_sha256, aws_doc_credentials(), "us-east-1", "s3", at)
  expect_equal(signature_of(listing), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
})

test_that("SigV4 reproduces the aws-sig-v4-test-suite's get-vanilla", {
  creds <- list(access_key_id = "AKIDEXAMPLE", secret_access_key = secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))
  h <- sigv4_headers("GET", "example.amazonaws.com", "/", "", list(), empty_payload_sha256, creds,
                     "us-east-1", "service", as.POSIXct("2015-08-30 12:36:00", tz = "UTC"))
  expect_equal(h$Authorization, paste0(
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ",
    "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"))
  expect_null(h[["x-amz-content-sha256"]])
})

test_that("the scheme of the artifact URI picks the store", {
  client <- test_client("http://127.0.0.1:9")
  withr::local_envvar(AWS_ACCESS_KEY_ID = "k", AWS_SECRET_ACCESS_KEY = "s",
                      AZURE_STORAGE_CONNECTION_STRING = NA, AZURE_STORAGE_ACCESS_KEY = "a2V5")
  expect_equal(artifact_store("mlflow-artifacts:/0/r/artifacts", client)$scheme, "mlflow-artifacts")
  expect_equal(artifact_store("s3://bucket/a/b", client)$scheme, "s3")
  expect_equal(artifact_store("wasbs://c@acct.blob.core.windows.net/p", client)$scheme, "wasbs")
  expect_equal(artifact_store("abfss://c@acct.dfs.core.windows.net/p", client)$scheme, "wasbs")
  expect_equal(artifact_store("file:///srv/mlflow", client)$scheme, "file")
  expect_equal(artifact_store("/srv/mlflow", client)$scheme, "file")
  expect_equal(artifact_store("dbfs:/databricks/mlflow-tracking/1/abc/artifacts", client)$scheme, "dbfs")
})

test_that("an unknown scheme is a classed error naming it and the supported ones, and nothing is sent", {
  web <- store_stub(run_roots = list(r1 = "hdfs://namenode/mlflow/1/r1/artifacts"))
  client <- test_client(web$url())
  file <- withr::local_tempfile(lines = "x")
  err <- expect_error(mlflow_log_artifact(file, run_id = "r1", client = client),
                      class = "mlflowrest_unsupported_scheme")
  expect_equal(err$scheme, "hdfs")
  expect_true(all(c("s3", "wasbs", "dbfs", "file", "mlflow-artifacts") %in% err$supported))
  expect_match(conditionMessage(err), "'hdfs:'.*supported: mlflow-artifacts:, s3:")
  expect_s3_class(err, "mlflowrest_error")
  # the same family class as Python's and Java's InvalidParameterValueError(field = artifact_uri)
  expect_s3_class(err, "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "artifact_uri")
  expect_equal(store_requests(web)$path, "/api/2.0/mlflow/runs/get")
})

test_that("S3: path-style for a custom endpoint, signed, folders keep their tree, round trip", {
  web <- store_stub(run_roots = list(r1 = "s3://mlflow/artifacts/1/r1/artifacts"))
  local_s3_env(web)
  withr::local_envvar(MLFLOW_TRACKING_TOKEN = "tracking-token-never-sent-to-s3")
  client <- mlflow_client(web$url())
  dir <- withr::local_tempdir()
  dir.create(file.path(dir, "train"))
  dir.create(file.path(dir, "test"))
  writeLines("train rows", file.path(dir, "train", "data.csv"))
  writeLines("test rows", file.path(dir, "test", "data.csv"))
  written <- mlflow_log_artifact(dir, artifact_path = "ds", run_id = "r1", client = client)
  expect_setequal(written, c("ds/train/data.csv", "ds/test/data.csv"))
  puts <- subset(store_requests(web), method == "PUT")
  expect_setequal(puts$path, c("/s3/mlflow/artifacts/1/r1/artifacts/ds/train/data.csv",
                               "/s3/mlflow/artifacts/1/r1/artifacts/ds/test/data.csv"))
  expect_true(all(startsWith(puts$authorization,
                             "AWS4-HMAC-SHA256 Credential=AKIDTEST/")))
  expect_true(all(grepl("/eu-west-1/s3/aws4_request", puts$authorization, fixed = TRUE)))
  expect_true(all(puts$content_sha == "UNSIGNED-PAYLOAD"))
  s3_requests <- subset(store_requests(web), startsWith(path, "/s3/"))
  expect_false(any(grepl("tracking-token", s3_requests$authorization)))

  listing <- mlflow_list_artifacts("ds", run_id = "r1", client = client)
  expect_setequal(listing$path, c("ds/train", "ds/test"))
  expect_true(all(listing$is_dir))
  got <- mlflow_download_artifacts("ds", run_id = "r1", client = client, dst_path = withr::local_tempdir())
  expect_equal(readLines(file.path(got, "train", "data.csv")), "train rows")
  missing <- expect_error(mlflow_download_artifacts("ds/none.csv", run_id = "r1", client = client,
                                                    dst_path = withr::local_tempdir()),
                          class = "mlflowrest_resource_does_not_exist")
  expect_equal(missing$error_code, "RESOURCE_DOES_NOT_EXIST")
  expect_equal(readLines(file.path(got, "test", "data.csv")), "test rows")
})

# The multipart sequence with the signed request replaced by a recorder (the HTTP side is
# covered against s3proxy in test-integration-artifact-stores.R).
multipart_recorder <- function(fail_part = NA) {
  calls <- list()
  request <- function(method, key, query = list(), headers = list(), body = NULL, upload = NULL, ...) {
    calls[[length(calls) + 1L]] <<- list(method = method, query = query, body = body,
                                         size = if (!is.null(upload)) upload$size,
                                         offset = if (!is.null(upload)) upload$offset)
    if (identical(as.integer(query$partNumber), as.integer(fail_part))) {
      abort_api_error(400L, NULL, "InvalidPart", method, key)
    }
    if (!is.null(query$uploads)) {
      return(list(text = "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>"))
    }
    list(headers = list(etag = sprintf("\"e%s\"", query$partNumber %||% "")), text = "")
  }
  list(request = request, calls = function() calls)
}

test_that("S3: a large file goes up in streamed parts of the chunk size, completed in order", {
  rec <- multipart_recorder()
  file <- withr::local_tempfile()
  writeBin(as.raw(rep(0:255, 50000)), file)  # 12,800,000 bytes
  s3_multipart_upload(rec$request, "k", file, file.size(file),
                      list(part_size = 5 * 1024^2, extra_headers = list()))
  calls <- rec$calls()
  expect_equal(vapply(calls, `[[`, "", "method"), c("POST", "PUT", "PUT", "PUT", "POST"))
  expect_equal(unlist(lapply(calls[2:4], `[[`, "offset")), c(0, 5, 10) * 1024^2)
  expect_equal(unlist(lapply(calls[2:4], `[[`, "size")), c(5 * 1024^2, 5 * 1024^2, 12800000 - 10 * 1024^2))
  expect_equal(calls[[5]]$query, list(uploadId = "up-1"))
  expect_match(calls[[5]]$body, paste0("<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>",
                                       "<Part><PartNumber>2</PartNumber>"), fixed = TRUE)
})

test_that("S3: a failed part aborts the multipart upload", {
  rec <- multipart_recorder(fail_part = 2)
  file <- withr::local_tempfile()
  writeBin(as.raw(rep(0:255, 50000)), file)
  expect_error(s3_multipart_upload(rec$request, "k", file, file.size(file),
                                   list(part_size = 5 * 1024^2, extra_headers = list())),
               class = "mlflowrest_invalid_parameter_value")
  last <- rec$calls()[[length(rec$calls())]]
  expect_equal(last$method, "DELETE")
  expect_equal(last$query, list(uploadId = "up-1"))
})

test_that("S3: credentials come from AWS_PROFILE in the shared credentials file", {
  home <- withr::local_tempdir()
  writeLines(c("[default]", "aws_access_key_id = AKIDDEFAULT", "aws_secret_access_key = d",
               "[team]", "aws_access_key_id = AKIDTEAM", "aws_secret_access_key = t",
               "aws_session_token = sess"), file.path(home, "credentials"))
  writeLines(c("[profile team]", "region = ap-south-1"), file.path(home, "config"))
  withr::local_envvar(AWS_ACCESS_KEY_ID = NA, AWS_SECRET_ACCESS_KEY = NA, AWS_SESSION_TOKEN = NA,
                      AWS_DEFAULT_REGION = NA, AWS_REGION = NA, AWS_PROFILE = "team",
                      AWS_SHARED_CREDENTIALS_FILE = file.path(home, "credentials"),
                      AWS_CONFIG_FILE = file.path(home, "config"))
  settings <- s3_settings()
  expect_equal(settings$credentials$access_key_id, "AKIDTEAM")
  expect_equal(reveal(settings$credentials$session_token), "sess")
  expect_equal(settings$region, "ap-south-1")
  expect_false(grepl("sess", paste(format(settings$credentials$session_token), collapse = "")))
  withr::local_envvar(AWS_PROFILE = "nobody")
  expect_error(s3_settings(), class = "mlflowrest_invalid_parameter_value")
})

test_that("S3: MLFLOW_S3_UPLOAD_EXTRA_ARGS become headers; unknown keys are refused by name", {
  expect_equal(s3_upload_extra_headers('{"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "k1"}'),
               list("x-amz-server-side-encryption" = "aws:kms",
                    "x-amz-server-side-encryption-aws-kms-key-id" = "k1"))
  err <- expect_error(s3_upload_extra_headers('{"Bogus": 1}'), class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "MLFLOW_S3_UPLOAD_EXTRA_ARGS")
  expect_match(conditionMessage(err), "unknown: Bogus")
})

test_that("Azure Shared Key signs Azure's canonical string with the decoded key", {
  key <- jsonlite::base64_enc(charToRaw("azure-test-key-0123456789"))
  headers <- list("x-ms-version" = "2021-08-06", "x-ms-date" = "Tue, 01 Dec 2026 10:00:00 GMT",
                  "x-ms-blob-type" = "BlockBlob")
  auth <- azure_shared_key("PUT", "acct", secret(key), "/acct/c/dir/a%20b.txt",
                           list(comp = "block", blockid = "YQ=="), headers, 11, "application/octet-stream")
  # Azure's layout: twelve standard fields, x-ms-* headers sorted, then the resource with
  # its query parameters sorted and lower-cased.
  expected <- paste0("PUT\n\n\n11\n\napplication/octet-stream\n\n\n\n\n\n\n",
                     "x-ms-blob-type:BlockBlob\nx-ms-date:Tue, 01 Dec 2026 10:00:00 GMT\nx-ms-version:2021-08-06\n",
                     "/acct/acct/c/dir/a%20b.txt\nblockid:YQ==\ncomp:block")
  mac <- digest::hmac(charToRaw("azure-test-key-0123456789"), charToRaw(expected), "sha256", raw = TRUE)
  expect_equal(auth, paste0("SharedKey acct:", jsonlite::base64_enc(mac)))
  # A zero-length body signs an empty Content-Length.
  empty <- azure_shared_key("GET", "acct", secret(key), "/acct/c", list(), headers[1:2], 0, "")
  expected_empty <- paste0("GET\n\n\n\n\n\n\n\n\n\n\n\n",
                           "x-ms-date:Tue, 01 Dec 2026 10:00:00 GMT\nx-ms-version:2021-08-06\n/acct/acct/c")
  expect_equal(empty, paste0("SharedKey acct:", jsonlite::base64_enc(
    digest::hmac(charToRaw("azure-test-key-0123456789"), charToRaw(expected_empty), "sha256", raw = TRUE))))
})

test_that("Azure settings: the connection string's endpoint and key; no credentials is a classed error", {
  withr::local_envvar(AZURE_STORAGE_CONNECTION_STRING = paste0(
    "DefaultEndpointsProtocol=http;AccountName=devacct;AccountKey=a2V5PT0=;",
    "BlobEndpoint=http://127.0.0.1:10000/devacct;"), AZURE_STORAGE_ACCESS_KEY = NA)
  s <- azure_settings("fromuri", "core.windows.net")
  expect_equal(s$account, "devacct")
  expect_equal(s$endpoint, "http://127.0.0.1:10000/devacct")
  expect_equal(reveal(s$key), "a2V5PT0=")
  withr::local_envvar(AZURE_STORAGE_CONNECTION_STRING = NA, AZURE_STORAGE_ACCESS_KEY = NA)
  err <- expect_error(azure_settings("acct", "core.windows.net"), class = "mlflowrest_invalid_parameter_value")
  expect_equal(err$field, "AZURE_STORAGE_CONNECTION_STRING")
})

dbfs_root <- "dbfs:/databricks/mlflow-tracking/1/r1/artifacts"

test_that("dbfs: uploads and downloads go through signed URLs with their headers, never the token", {
  web <- store_stub(run_roots = list(r1 = dbfs_root))
  withr::local_envvar(DATABRICKS_HOST = web$url(), DATABRICKS_TOKEN = "dapi-secret-token",
                      DATABRICKS_CONFIG_FILE = file.path(withr::local_tempdir(), "none"))
  client <- test_client("databricks")
  dir <- withr::local_tempdir()
  dir.create(file.path(dir, "plots", "roc"), recursive = TRUE)
  writeLines("cm", file.path(dir, "plots", "confusion.txt"))
  writeLines("roc", file.path(dir, "plots", "roc", "curve.txt"))
  mlflow_log_artifact(file.path(dir, "plots"), artifact_path = "plots", run_id = "r1", client = client)
  requests <- store_requests(web)
  writes <- subset(requests, path == "/api/2.0/mlflow/artifacts/credentials-for-write")
  expect_equal(nrow(writes), 2)
  expect_true(all(writes$authorization == "Bearer dapi-secret-token"))
  signed_puts <- subset(requests, method == "PUT")
  expect_setequal(signed_puts$path, c("/signed/r1/plots/confusion.txt", "/signed/r1/plots/roc/curve.txt"))
  expect_true(all(signed_puts$required == "yes"))
  expect_true(all(signed_puts$authorization == ""))

  listing <- mlflow_list_artifacts("plots", run_id = "r1", client = client)
  expect_setequal(listing$path, c("plots/confusion.txt", "plots/roc"))
  got <- mlflow_download_artifacts("plots", run_id = "r1", client = client, dst_path = withr::local_tempdir())
  expect_equal(readLines(file.path(got, "roc", "curve.txt")), "roc")
  expect_equal(readLines(file.path(got, "confusion.txt")), "cm")
})

test_that("dbfs: a large file is a multipart upload; an expired part URL is renewed; errors hide the signature", {
  web <- store_stub(run_roots = list(r1 = dbfs_root))
  withr::local_envvar(DATABRICKS_HOST = web$url(), DATABRICKS_TOKEN = "t",
                      DATABRICKS_CONFIG_FILE = file.path(withr::local_tempdir(), "none"),
                      MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE = "1000",
                      MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE = "1000")
  client <- test_client("databricks")
  file <- withr::local_tempfile()
  bytes <- as.raw(rep(0:255, 10))  # 2560 bytes: three parts
  writeBin(bytes, file)
  mlflow_log_artifact(file, artifact_path = "big", run_id = "r1", client = client)
  requests <- store_requests(web)
  expect_true("/api/2.0/mlflow/artifacts/get-presigned-upload-part-url" %in% requests$path)
  expect_equal(requests$path[nrow(requests)], "/api/2.0/mlflow/artifacts/complete-multipart-upload")
  stored <- store_objects(web)[[paste0("signed/r1/big/", basename(file))]]
  expect_equal(stored$sum, digest_raw(bytes))

  # A signed URL that keeps failing: the message has the path, not the signature.
  err <- expect_error(download_artifact_tree(artifact_store(dbfs_root, client), "missing.bin",
                                             withr::local_tempdir()),
                      class = "mlflowrest_resource_does_not_exist")
  expect_equal(err$error_code, "RESOURCE_DOES_NOT_EXIST")
  expect_false(grepl("s3cr3t-sig", conditionMessage(err), fixed = TRUE))
  expect_match(conditionMessage(err), "/signed/r1/missing.bin", fixed = TRUE)
})

test_that("dbfs: an Azure SAS credential is a Put Blob with the SAS query and the credential's headers", {
  web <- store_stub(run_roots = list(r1 = dbfs_root), credential_type = "AZURE_SAS_URI")
  withr::local_envvar(DATABRICKS_HOST = web$url(), DATABRICKS_TOKEN = "t",
                      DATABRICKS_CONFIG_FILE = file.path(withr::local_tempdir(), "none"))
  client <- test_client("databricks")
  file <- withr::local_tempfile(lines = "plot")
  mlflow_log_artifact(file, run_id = "r1", client = client)
  put <- subset(store_requests(web), method == "PUT")
  expect_equal(put$path, paste0("/signed/r1/", basename(file)))
  expect_equal(put$query, "sig=s3cr3t-sig")
  expect_equal(put$blob_type, "BlockBlob")
  expect_equal(put$required, "yes")
})

test_that("runs:/ and every models:/ form resolve to the store their files are in", {
  root <- withr::local_tempdir()
  for (where in c("run/model", "v1/model", "logged/m1")) {
    dir.create(file.path(root, where), recursive = TRUE)
    writeLines(where, file.path(root, where, "MLmodel"))
  }
  version <- function(v, source) list(name = "churn", version = v, source = source)
  web <- store_stub(
    run_roots = list(r1 = paste0("file://", root, "/run")),
    versions = list(
      "churn/1" = version("1", paste0("file://", root, "/v1/model")),
      "churn@champion" = version("2", "models:/m-abc123"),
      "churn/Production" = version("1", paste0("file://", root, "/v1/model"))),
    logged_models = list("m-abc123" = paste0(root, "/logged/m1")))
  client <- test_client(web$url())
  read_back <- function(uri) {
    dst <- withr::local_tempdir(.local_envir = parent.frame(2))
    got <- mlflow_download_artifacts(uri, client = client, dst_path = dst)
    readLines(file.path(got, "MLmodel"))
  }
  expect_equal(read_back("runs:/r1/model"), "run/model")
  expect_equal(read_back("models:/churn/1"), "v1/model")
  expect_equal(read_back("models:/churn/Production"), "v1/model")
  expect_equal(read_back("models:/churn@champion"), "logged/m1")
  expect_equal(read_back("models:/m-abc123"), "logged/m1")
  err <- expect_error(mlflow_download_artifacts("models:/churn", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_match(conditionMessage(err), "models:/<name>@<alias>", fixed = TRUE)
})

test_that("mlflow_load_model() loads from models:/name@alias through the same layer", {
  root <- withr::local_tempdir()
  mlflow_save_model(mlflow_crate(function(x) x * k, k = 3), file.path(root, "m"))
  web <- store_stub(versions = list("churn@champion" = list(name = "churn", version = "4",
                                                             source = "models:/m-0a1b")),
                    logged_models = list("m-0a1b" = paste0("file://", root, "/m")))
  client <- test_client(web$url())
  model <- mlflow_load_model("models:/churn@champion", client = client)
  expect_equal(mlflow_predict(model, 2), 6)
})

test_that("a folder with one bad name uploads nothing and the error names the file", {
  web <- store_stub(run_roots = list(r1 = "s3://mlflow/x"))
  local_s3_env(web)
  client <- test_client(web$url())
  dir <- withr::local_tempdir()
  writeLines("ok", file.path(dir, "a.txt"))
  dir.create(file.path(dir, "sub"))
  writeLines("bad", file.path(dir, "sub", "b#1.txt"))
  err <- expect_error(mlflow_log_artifact(dir, run_id = "r1", client = client),
                      class = "mlflowrest_invalid_parameter_value")
  expect_match(conditionMessage(err), "'sub/b#1.txt'", fixed = TRUE)
  expect_equal(err$field, "path")
  expect_false("PUT" %in% store_requests(web)$method)
})

test_that("an upload failing mid-folder names the file and what was stored before it", {
  web <- store_stub(run_roots = list(r1 = "s3://mlflow/x"), fail_key = "b\\.bin$")
  local_s3_env(web)
  client <- test_client(web$url())
  dir <- withr::local_tempdir()
  writeLines("small", file.path(dir, "a.txt"))
  writeLines("refused", file.path(dir, "b.bin"))
  writeLines("never sent", file.path(dir, "c.txt"))
  err <- expect_error(mlflow_log_artifact(dir, run_id = "r1", client = client),
                      class = "mlflowrest_api_error")
  expect_equal(err$file, "b.bin")
  expect_equal(err$stored, "a.txt")
  expect_match(conditionMessage(err), "uploading 'b.bin' (file 2 of 3) failed; 1 stored before it (a.txt)",
               fixed = TRUE)
  expect_false("/s3/mlflow/x/c.txt" %in% store_requests(web)$path)
})

test_that("a shared path (file: or plain) is read and written directly, tree kept", {
  root <- withr::local_tempdir()
  store <- artifact_store(paste0("file://", root, "/1/r1/artifacts"), NULL)
  src <- withr::local_tempfile(lines = "nested")
  store$upload(src, "a/b/c.txt")
  expect_equal(readLines(file.path(root, "1/r1/artifacts/a/b/c.txt")), "nested")
  expect_equal(store$list("a")$path, "b")
  err <- expect_error(store$download("a/zz.txt", tempfile()), class = "mlflowrest_resource_does_not_exist")
  got <- download_artifact_tree(artifact_store(root, NULL), "1/r1/artifacts/a", withr::local_tempdir())
  expect_equal(readLines(file.path(got, "b", "c.txt")), "nested")
})
