# mlflow-artifacts: the tracking server's proxied store (--serve-artifacts, on by default).
# <path> in /api/2.0/mlflow-artifacts/artifacts/<path> is the URI without its scheme.

proxied_store <- function(uri, client) {
  root <- sub("/+$", "", sub("^mlflow-artifacts:(//[^/]*)?/*", "", uri))
  list(
    uri = uri, scheme = "mlflow-artifacts",
    upload = function(local, rel) api_mlflow_artifacts_upload(client, join_path(root, rel), .upload_file = local),
    download = function(rel, local) api_mlflow_artifacts_download(client, join_path(root, rel), .download_to = local),
    list = function(rel) {
      answer <- api_mlflow_artifacts_list(client, path = join_path(root, rel))
      files <- answer$files %||% list()
      listing_frame(
        vapply(files, function(f) f$path, character(1)),
        vapply(files, function(f) isTRUE(f$is_dir), logical(1)),
        vapply(files, function(f) as.numeric(f$file_size %||% NA), numeric(1)))
    }
  )
}
