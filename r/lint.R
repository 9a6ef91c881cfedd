# make lint-r: lintr over the package (R/, configured by .lintr) and over its tests (see r.mk for
# why the tests go without object_usage_linter and cyclocomp_linter). Fails on any lint.
lints <- c(
  lintr::lint_package(".", exclusions = list("tests", "lint.R")),
  lintr::lint_dir("tests", linters = lintr::linters_with_defaults(
    line_length_linter = lintr::line_length_linter(120),
    object_length_linter = lintr::object_length_linter(40),
    object_usage_linter = NULL,
    cyclocomp_linter = NULL
  ))
)
if (length(lints)) print(lints)
# A name assigned at top level in two files is silently the later file's (collation order):
# one helper replacing another that way broke mlflow_flush once. lintr does not look across files.
defined <- unlist(lapply(list.files("R", "[.]R$", full.names = TRUE), function(file) {
  exprs <- parse(file, keep.source = FALSE)
  names <- vapply(exprs, function(e) {
    if (is.call(e) && as.character(e[[1]]) %in% c("<-", "=") && is.name(e[[2]])) as.character(e[[2]]) else ""
  }, "")
  stats::setNames(rep(basename(file), sum(nzchar(names))), names[nzchar(names)])
}))
twice <- unique(names(defined)[duplicated(names(defined))])
for (name in twice) cat(sprintf("R/: %s is defined in %s\n", name, paste(defined[names(defined) == name], collapse = " and ")))
if (length(lints) || length(twice)) quit(status = 1)
cat("lint-r: no lints\n")
