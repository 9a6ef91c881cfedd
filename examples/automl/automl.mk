# AutoML examples (included by the root Makefile, which defines ROOT, PY, STAMP and HARNESS).
# PyCaret 3.3.2 needs the mlflow 2.9.2 client, so it gets a venv of its own; it logs over HTTP
# to the pinned 3.17.2 server like every other client here.
.PHONY: setup-automl demo-automl test-automl

AUTOML_DIR := $(ROOT)/examples/automl
AUTOML_VENV := $(ROOT)/.venv-automl
AUTOML_PY := $(AUTOML_VENV)/bin/python

$(STAMP)/automl: $(AUTOML_DIR)/requirements.txt
	@mkdir -p $(STAMP)
	test -x $(AUTOML_PY) || python3 -m venv $(AUTOML_VENV)
	$(AUTOML_PY) -m pip install -q --upgrade pip
	$(AUTOML_PY) -m pip install -q -r $(AUTOML_DIR)/requirements.txt
	@touch $@
setup-automl: $(STAMP)/automl

# Under `make demo` MLFLOW_TRACKING_URI is set; run alone, the examples get their own harness server.
AUTOML_RUN := $(AUTOML_PY) $(AUTOML_DIR)/classification.py && $(AUTOML_PY) $(AUTOML_DIR)/anomaly.py
demo-automl: setup-automl
	@if [ -n "$$MLFLOW_TRACKING_URI" ]; then \
	  cd $(ROOT) && $(AUTOML_RUN); \
	else \
	  $(MAKE) --no-print-directory setup-python && \
	  $(HARNESS) bash -c '$(AUTOML_RUN)'; \
	fi

# The leaderboard read-back (one harness server, both examples, Python/Java/R readers) and the
# MLflow plugins shipped by the Python package.
test-automl: setup-python setup-automl
	cd $(ROOT) && AUTOML_PYTHON=$(AUTOML_PY) $(PY) -m pytest -q -s tests/automl python/tests/plugins
