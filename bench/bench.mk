# Benchmarks (included by the root Makefile). bench-quick is a smoke check inside make test:
# no timing assertions, it only proves every workload still runs.
.PHONY: bench bench-quick

bench: $(addprefix setup-,$(LANGS))
	cd $(ROOT) && $(PY) bench/run.py

bench-quick: $(addprefix setup-,$(LANGS))
	cd $(ROOT) && $(PY) bench/run.py --quick --out $(ROOT)/.work
