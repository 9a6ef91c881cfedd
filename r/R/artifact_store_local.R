# file: URIs and plain paths: a folder every machine sees (NFS, a shared disk), read and
# written directly.

local_store <- function(uri) {
  root <- if (grepl("^file:", uri, ignore.case = TRUE)) utils::URLdecode(sub("^file:(//[^/]*)?", "", uri)) else uri
  root <- sub("(.)/+$", "\\1", root)
  target <- function(rel) if (nzchar(rel)) file.path(root, rel) else root
  list(
    uri = uri, scheme = "file",
    upload = function(local, rel) {
      dest <- target(rel)
      dir.create(dirname(dest), recursive = TRUE, showWarnings = FALSE)
      # Copied under a temporary name first: a reader never sees half a file.
      partial <- paste0(dest, ".part")
      if (!file.copy(local, partial, overwrite = TRUE) || !file.rename(partial, dest)) {
        unlink(partial)
        abort_usage(sprintf("cannot write artifact %s", dest))
      }
      invisible(dest)
    },
    download = function(rel, local) {
      src <- target(rel)
      if (!file.exists(src) || dir.exists(src)) {
        abort_api_error(404L, "RESOURCE_DOES_NOT_EXIST",
                        sprintf("no artifact file at %s", src), "GET", src)
      }
      partial <- paste0(local, ".part")
      if (!file.copy(src, partial, overwrite = TRUE) || !file.rename(partial, local)) {
        unlink(partial)
        abort_usage(sprintf("cannot copy %s to %s", src, local))
      }
      invisible(local)
    },
    list = function(rel) {
      dir <- target(rel)
      if (!dir.exists(dir)) return(listing_frame())
      names <- list.files(dir, all.files = TRUE, no.. = TRUE)
      full <- file.path(dir, names)
      is_dir <- dir.exists(full)
      listing_frame(names, is_dir, ifelse(is_dir, NA, file.size(full)))
    }
  )
}
