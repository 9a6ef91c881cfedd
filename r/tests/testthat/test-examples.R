# Every exported function's help page has examples, and with a server they all run.

help_pages <- function() tools::Rd_db("mlflowrest")

has_examples <- function(rd) any(vapply(rd, function(x) identical(attr(x, "Rd_tag"), "\\examples"), TRUE))

test_that("every exported function has a help page with examples", {
  db <- help_pages()
  aliases <- lapply(db, function(rd) {
    unlist(lapply(Filter(function(x) identical(attr(x, "Rd_tag"), "\\alias"), rd), as.character))
  })
  with_examples <- unlist(aliases[vapply(db, has_examples, TRUE)])
  missing <- setdiff(getNamespaceExports("mlflowrest"), with_examples)
  expect_equal(missing, character())
  expect_true("mlflowrest_resource_does_not_exist" %in% unlist(aliases))
})

test_that("every example runs against a live server", {
  skip_without_server()
  local_experiment()
  for (name in names(help_pages())) {
    script <- withr::local_tempfile(fileext = ".R")
    tools::Rd2ex(help_pages()[[name]], script)
    if (!file.exists(script)) next
    failure <- tryCatch({
      utils::capture.output(source(script, local = new.env(), echo = FALSE))
      NULL
    }, error = conditionMessage)
    expect_null(failure, info = name)
    while (!is.null(mlflowrest:::active_run_id())) mlflow_end_run()
  }
})
