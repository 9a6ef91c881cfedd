# Random forest on the Pima Indians diabetes data, tracked in MLflow with mlflowrest.
#
#   R_LIBS=.work/rlib MLFLOW_TRACKING_URI=http://127.0.0.1:5000 Rscript r/examples/pima_random_forest.R
#
# Logs ntree and mtry, the test-set sensitivity and specificity, the confusion-matrix plot
# and the fitted predictor; then loads the model back from the server and checks that it
# scores the same.

# lubridate (loaded by caret) asks systemd for the time zone when TZ is unset, which warns
# in containers.
if (!nzchar(Sys.getenv("TZ"))) Sys.setenv(TZ = "UTC")

suppressPackageStartupMessages({
  library(mlflowrest)
  library(randomForest)
  library(caret)
})

data("Pima.tr", package = "MASS")
data("Pima.te", package = "MASS")

ntree <- 500
mtry <- 3
set.seed(2024)

# Sensitivity and specificity with "Yes" (diabetic) as the positive class.
score <- function(predicted) {
  cm <- caret::confusionMatrix(predicted, Pima.te$type, positive = "Yes")
  list(table = cm$table, sensitivity = unname(cm$byClass["Sensitivity"]),
       specificity = unname(cm$byClass["Specificity"]))
}

mlflow_set_experiment("pima-random-forest")

with(mlflow_start_run(), {
  mlflow_log_param("ntree", ntree)
  mlflow_log_param("mtry", mtry)

  fit <- randomForest(type ~ ., data = Pima.tr, ntree = ntree, mtry = mtry)
  scored <- score(predict(fit, Pima.te))
  mlflow_log_metric("sensitivity", scored$sensitivity)
  mlflow_log_metric("specificity", scored$specificity)

  plot_file <- file.path(tempdir(), "confusion_matrix.png")
  png(plot_file, width = 640, height = 480, type = "cairo")
  barplot(scored$table, beside = TRUE, legend.text = paste("predicted", rownames(scored$table)),
          xlab = "actual class", ylab = "cases", col = c("grey70", "steelblue"),
          main = "Pima.te confusion matrix (random forest)")
  dev.off()
  mlflow_log_artifact(plot_file)

  # The predictor carries the fitted forest and nothing else from this session.
  predictor <- mlflow_crate(function(x) {
    loadNamespace("randomForest")
    stats::predict(fit, newdata = x)
  }, fit = fit)
  model_uri <- mlflow_log_model(predictor, "model")
  run_id <- mlflow_get_run()$run_id
})

cat(sprintf("run %s: sensitivity %.4f, specificity %.4f\n", run_id, scored$sensitivity,
            scored$specificity))

reloaded <- mlflow_load_model(model_uri)
rescored <- score(mlflow_predict(reloaded, Pima.te))
cat(sprintf("reloaded %s: sensitivity %.4f, specificity %.4f\n", model_uri,
            rescored$sensitivity, rescored$specificity))
same <- identical(rescored$sensitivity, scored$sensitivity) &&
  identical(rescored$specificity, scored$specificity)
cat(if (same) "the reloaded model gives the same sensitivity and specificity\n" else
  "MISMATCH: the reloaded model scores differently\n")
artifacts <- mlflow_list_artifacts(run_id = run_id)
cat("artifacts:", paste(artifacts$path, collapse = ", "), "\n")
if (!same) quit(status = 1)
