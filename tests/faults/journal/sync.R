# Usage: Rscript sync.R DIR [--include-live]; MLFLOW_TRACKING_URI names the server.
library(mlflowrest)
args <- commandArgs(trailingOnly = TRUE)
report <- mlflow_sync(args[[1]], include_live = "--include-live" %in% args)
quit(save = "no", status = report$status)
