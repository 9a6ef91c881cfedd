# Print an AutoML parent run's leaderboard as one JSON line, read with the R SDK.
#
#   Rscript tests/automl/leaderboard.R <parent_run_id>     (MLFLOW_TRACKING_URI names the server)
#
# Same rules as leaderboard.py (see there), calling only runs/get and runs/search.
suppressPackageStartupMessages(library(mlflowrest))

tag_value <- function(tags, key, default = NA_character_) {
  hit <- tags$value[tags$key == key]
  if (length(hit)) hit[[1]] else default
}

parent_id <- commandArgs(trailingOnly = TRUE)[[1]]
client <- mlflow_client()
parent <- mlflow_get_run(parent_id, client = client)
metric <- tag_value(parent$tags[[1]], "automl.sort_metric")
order <- tag_value(parent$tags[[1]], "automl.sort_order", "DESC")
children <- mlflow_search_runs(
  filter = sprintf("tags.`mlflow.parentRunId` = '%s'", parent_id),
  experiment_ids = list(parent$experiment_id), client = client
)

names <- character(0)
values <- numeric(0)
for (i in seq_len(nrow(children))) {
  metrics <- children$metrics[[i]]
  if (!(metric %in% metrics$key)) next
  values <- c(values, metrics$value[metrics$key == metric][[1]])
  names <- c(names, tag_value(children$tags[[i]], "automl.model_name", children$run_name[[i]]))
}
if (!length(values)) stop(sprintf("run %s has no child run with metric %s", parent_id, metric))
# Best first; ties by name in code-point order (method = "radix" ignores the locale, like Python and Java).
ranked <- order(if (order == "DESC") -values else values, names, method = "radix")
best <- ranked[[1]]
# The shortest text that reads back as the same double (as Python's repr and Java's toString print).
shortest <- function(x) {
  for (digits in 15:17) {
    text <- sprintf("%.*g", digits, x)
    if (as.numeric(text) == x) return(text)
  }
}
cat(sprintf('{"reader": "r", "parent_run_id": %s, "best_model": %s, "metric": %s, "value": %s, "candidates": %d}\n',
            jsonlite::toJSON(parent_id, auto_unbox = TRUE), jsonlite::toJSON(names[[best]], auto_unbox = TRUE),
            jsonlite::toJSON(metric, auto_unbox = TRUE), shortest(values[[best]]), length(values)))
