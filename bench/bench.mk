# Benchmarks (included by the root Makefile). bench-quick is a smoke check inside make test:
# no timing assertions, it only proves every workload still runs.
.PHONY: bench bench-quick bench-writers

# make bench BENCH_ARGS=--issue-sizes runs the issue's sizes (1M-point log_batch: about an hour).
BENCH_ARGS ?=

bench: $(addprefix setup-,$(LANGS))
	cd $(ROOT) && $(PY) bench/run.py $(BENCH_ARGS)
	$(MAKE) --no-print-directory bench-writers

# Many writer processes on one server (bench/many_writers.py): bench/results_writers.md.
bench-writers: setup-python setup-postgres
	cd $(ROOT) && $(PY) bench/many_writers.py

bench-quick: $(addprefix setup-,$(LANGS))
	cd $(ROOT) && $(PY) bench/run.py --quick --out $(ROOT)/.work
	cd $(ROOT) && $(PY) bench/many_writers.py --quick --out $(ROOT)/.work
