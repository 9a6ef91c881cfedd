"""Starts a background run, logs `count` points and exits without ending it ("raise": by an
uncaught exception). Prints the run id first. Usage: exit_python.py EXPERIMENT_ID COUNT finish|raise"""

import sys

import mlflowrest

experiment_id, count, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
run = mlflowrest.start_run(experiment_id=experiment_id, background=True)
print(run.run_id, flush=True)
for step in range(count):
    run.log_metric("loss", step * 0.5, step=step)
if mode == "raise":
    raise RuntimeError("training diverged")
