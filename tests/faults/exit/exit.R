# Starts a background run, logs COUNT points and quits without ending it ("raise": by an uncaught
# error). Prints the run id first. Usage: Rscript exit.R EXPERIMENT_ID COUNT finish|raise
library(mlflowrest)
args <- commandArgs(trailingOnly = TRUE)
run <- mlflow_start_run(experiment_id = args[[1]], background = TRUE)
cat(run$run_id, "\n", sep = "")
for (step in seq_len(as.integer(args[[2]])) - 1) mlflow_log_metric("loss", step * 0.5, step = step)
if (args[[3]] == "raise") stop("training diverged")
