# The chapter's Pima notebook as a Databricks R notebook runs it: no tracking URI, no token
# and no experiment set by the user. The caller simulates the notebook first (what
# Databricks defines in the global environment) and passes an output file for what the
# test compares: the run id, the local PNG and the predictions.
suppressPackageStartupMessages(library(mlflowrest))
args <- commandArgs(TRUE)
out_file <- args[1]

data("Pima.tr", package = "MASS")
data("Pima.te", package = "MASS")
set.seed(2024)

with(mlflow_start_run(), {
  mlflow_log_param("ntree", 101)
  mlflow_log_param("mtry", 3)
  fit <- randomForest::randomForest(type ~ ., data = Pima.tr, ntree = 101, mtry = 3)
  predicted <- stats::predict(fit, Pima.te)
  cm <- table(predicted, Pima.te$type)
  mlflow_log_metric("sensitivity", cm["Yes", "Yes"] / sum(cm[, "Yes"]))
  mlflow_log_metric("specificity", cm["No", "No"] / sum(cm[, "No"]))

  # Beside the output file: the test compares the bytes after R has exited.
  plot_file <- file.path(dirname(out_file), "confusion_matrix.png")
  png(plot_file, width = 640, height = 480)
  barplot(cm, beside = TRUE, main = "Pima.te confusion matrix")
  dev.off()
  mlflow_log_artifact(plot_file)

  predictor <- mlflow_crate(function(x) stats::predict(fit, newdata = x), fit = fit)
  model_uri <- mlflow_log_model(predictor, "model", input_example = Pima.te[1:3, 1:7])
  run_id <- mlflow_id(mlflow_get_run())
})

reloaded <- mlflow_predict(mlflow_load_model(model_uri), Pima.te)
jsonlite::write_json(list(
  run_id = run_id, png = plot_file, model_uri = model_uri,
  predictions = as.character(predicted), reloaded = as.character(reloaded),
  tracking_uri = mlflow_get_tracking_uri()
), out_file, auto_unbox = TRUE)
