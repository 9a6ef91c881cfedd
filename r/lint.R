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
if (length(lints)) quit(status = 1)
cat("lint-r: no lints\n")
