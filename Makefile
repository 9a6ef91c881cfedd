# The one entry point. `make demo` and `make test` do all their own set-up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
MLFLOW_VERSION := $(shell cat $(ROOT)/MLFLOW_VERSION)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
STAMP := $(ROOT)/.work/stamps
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Runs a command with a fresh harness server; MLFLOW_TRACKING_URI points at it.
HARNESS := cd $(ROOT) && $(PY) -m tests.harness run --
export PYTHONDONTWRITEBYTECODE := 1
# Each SDK's fragment (python/python.mk, java/java.mk, r/r.mk) defines setup-, generate-,
# test- and demo- targets for its language; these lists name the SDKs present.
LANGS := python $(if $(wildcard $(ROOT)/java/java.mk),java) $(if $(wildcard $(ROOT)/r/r.mk),r)
SUITES := test-side-by-side test-reliability

.PHONY: help setup setup-python server generate generate-spec check-generated lint test test-spec demo clean

help:
	@echo "make demo             start an embedded MLflow $(MLFLOW_VERSION) server and run every example"
	@echo "make test             run every test (spec checks, Python, Java, R, contract suite)"
	@echo "make server           serve a fresh MLflow server in the foreground (Ctrl-C stops it)"
	@echo "make generate         regenerate the spec and every SDK's generated code"
	@echo "make check-generated  fail if generated code differs from what the generators write"
	@echo "make lint             ruff and mypy over every Python file, the contract files' schemas, each SDK's linters"
	@echo "make bench            run the benchmarks, writing bench/results.md"
	@echo "make clean            remove build output, stamps and the demo store"
	@echo "suites: test-python test-java test-r test-contract test-reliability test-automl; setup-* and demo-*"
	@echo "make compat-table     rewrite java/COMPATIBILITY.md (the Java drop-in's table; make test only checks it)"

setup: $(addprefix setup-,$(LANGS))

$(STAMP)/python: $(ROOT)/MLFLOW_VERSION $(ROOT)/requirements/dev.txt $(ROOT)/python/pyproject.toml
	@mkdir -p $(STAMP)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "mlflow[auth]==$(MLFLOW_VERSION)" -r $(ROOT)/requirements/dev.txt
	$(PY) -m pip install -q -e "$(ROOT)/python"
	@touch $@
setup-python: $(STAMP)/python

server: setup-python
	cd $(ROOT) && $(PY) -m tests.harness serve

generate: setup-python generate-spec $(addprefix generate-,$(LANGS))

generate-spec: setup-python
	cd $(ROOT) && $(PY) openapi/tools/build_spec.py
	cd $(ROOT) && $(PY) openapi/tools/family_rules.py

# Regenerate everything, then any difference from the committed files is a failure.
GENERATED := openapi/mlflow.yaml python/src/mlflowrest/_generated java/src/generated r/R/generated_limits.R \
  r/R/generated_rules.R r/R/generated_operations.R README.md $(if $(wildcard $(ROOT)/r/r.mk),r/man r/NAMESPACE)
check-generated: generate
	@cd $(ROOT) && if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
	  git status --porcelain -- $(GENERATED); git --no-pager diff --stat -- $(GENERATED); \
	  echo "generated code is stale or hand-edited: run make generate and commit"; exit 1; \
	else echo "generated code is up to date"; fi

test-spec: setup-python
	cd $(ROOT) && $(PY) openapi/tools/validate.py
	cd $(ROOT) && $(PY) openapi/tools/coverage.py
	cd $(ROOT) && $(PY) -m pytest -q -s tests/spec

# Every linter, first in make test: it takes a minute and fails before anything slow. Each SDK's
# fragment adds its own (python/python.mk lint-python; java/java.mk, r/r.mk `lint: lint-<lang>`).
lint: lint-python

# make test first records the checkout's state and last fails if any suite rewrote a tracked file
# or left output that .gitignore does not cover (tests/harness/git_clean.py).
test: test-snapshot lint check-generated test-spec $(addprefix test-,$(LANGS)) $(SUITES)
	cd $(ROOT) && python3 tests/harness/git_clean.py check
	@echo "make test: all suites passed"

.PHONY: test-snapshot
test-snapshot:
	@cd $(ROOT) && python3 tests/harness/git_clean.py snapshot

# Every language's example, then the AutoML runs, against one embedded server (SQLite store).
DEMOS := $(LANGS) $(if $(wildcard $(ROOT)/examples/automl/automl.mk),automl)
demo: $(addprefix setup-,$(DEMOS))
	rm -rf $(ROOT)/.work/demo
	cd $(ROOT) && $(PY) -m tests.harness demo --workdir $(ROOT)/.work/demo -- \
	  $(MAKE) --no-print-directory -f $(ROOT)/Makefile $(addprefix demo-,$(DEMOS))

clean:
	rm -rf $(ROOT)/.work $(ROOT)/java/target $(ROOT)/java/compat/target $(ROOT)/java/example/target

include $(ROOT)/python/python.mk
-include $(ROOT)/java/java.mk
-include $(ROOT)/r/r.mk
include $(ROOT)/tests/harness/harness.mk
include $(ROOT)/tests/contract/contract.mk
include $(ROOT)/tests/reliability.mk
include $(ROOT)/bench/bench.mk
-include $(ROOT)/examples/automl/automl.mk
-include $(ROOT)/examples/spark/spark.mk

# The contract suite beside the harness's checks, the AutoML checks and the benchmarks' smoke check
# (test-contract, test-harness, test-automl and bench-quick in make test): none times anything or
# asserts a time, and the contract suite's one driver at a time leaves the second core mostly
# idle. Their set-up runs first, alone; then one lane each (tests/harness/groups.py: a log per
# lane, printed whole when it ends, every lane bounded). test-reliability never shares the
# machine: it times outages.
AUTOML_HERE := $(wildcard $(ROOT)/examples/automl/automl.mk)
.PHONY: test-side-by-side
test-side-by-side: $(CONTRACT_SETUP) setup-stores $(if $(AUTOML_HERE),$(AUTOML_TEST_SETUP)) $(BENCH_QUICK_SETUP)
	cd $(ROOT) && $(PY) -m tests.harness.groups --timeout 1800 --logs $(ROOT)/.work/side-by-side \
	  --cmd "$(MAKE) --no-print-directory run-test-contract" \
	  --cmd "$(MAKE) --no-print-directory run-test-harness $(if $(AUTOML_HERE),run-test-automl) run-bench-quick"
