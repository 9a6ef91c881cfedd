# mlflow-artifacts: the tracking server's proxied store (--serve-artifacts, on by default).
# <path> in /api/2.0/mlflow-artifacts/artifacts/<path> is the URI without its scheme.

proxied_store <- function(uri, client) {
  root <- sub("/+$", "", sub("^mlflow-artifacts:(//[^/]*)?/*", "", uri))
  endpoint <- function(rel) paste0("/api/2.0/mlflow-artifacts/artifacts/", encode_path(join_path(root, rel)))
  list(
    uri = uri, scheme = "mlflow-artifacts",
    upload = function(local, rel) mlflow_request(client, "PUT", endpoint(rel), upload_file = local),
    download = function(rel, local) mlflow_request(client, "GET", endpoint(rel), download_to = local),
    list = function(rel) {
      answer <- mlflow_request(client, "GET", "/api/2.0/mlflow-artifacts/artifacts",
                               query = list(path = join_path(root, rel)))
      files <- answer$files %||% list()
      listing_frame(
        vapply(files, function(f) f$path, character(1)),
        vapply(files, function(f) isTRUE(f$is_dir), logical(1)),
        vapply(files, function(f) as.numeric(f$file_size %||% NA), numeric(1)))
    }
  )
}
