# AutoML examples (included by the root Makefile, which defines ROOT, PY, STAMP and HARNESS).
# PyCaret 3.3.2 needs the mlflow 2.9.2 client, so it gets a venv of its own; it logs over HTTP
# to the pinned 3.17.2 server like every other client here.
.PHONY: setup-automl demo-automl test-automl run-test-automl

AUTOML_DIR := $(ROOT)/examples/automl
AUTOML_VENV := $(ROOT)/.venv-automl
AUTOML_PY := $(AUTOML_VENV)/bin/python

$(STAMP)/automl: $(AUTOML_DIR)/requirements.txt $(AUTOML_DIR)/constraints.txt
	@mkdir -p $(STAMP)
	test -x $(AUTOML_PY) || python3 -m venv $(AUTOML_VENV)
	$(AUTOML_PY) -m pip install -q --upgrade pip
	$(AUTOML_PY) -m pip install -q -r $(AUTOML_DIR)/requirements.txt -c $(AUTOML_DIR)/constraints.txt
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

# The leaderboard read-back (one harness server, both examples, then the Python reader and the
# Java and R readers of the SDKs present: those must agree) and the MLflow plugins of the Python
# package. The Java reader runs on the SDK's compiled classes and their Maven dependencies.
AUTOML_READERS := python $(filter java r,$(LANGS))
AUTOML_SETUP := $(if $(filter java,$(LANGS)),automl-java-classpath) $(if $(filter r,$(LANGS)),setup-r)

.PHONY: automl-java-classpath
automl-java-classpath: setup-java
	mvn -B -q -f $(ROOT)/java/pom.xml compile dependency:build-classpath -Dmdep.outputFile=$(ROOT)/java/target/classpath.txt

AUTOML_TEST_SETUP := setup-python setup-automl $(AUTOML_SETUP)
AUTOML_TESTS = cd $(ROOT) && AUTOML_PYTHON=$(AUTOML_PY) AUTOML_READERS="$(AUTOML_READERS)" \
  $(PY) -m pytest -q -s tests/automl python/tests/plugins
test-automl: $(AUTOML_TEST_SETUP)
	$(AUTOML_TESTS)
# Without its set-up: make test runs it beside the contract suite (Makefile, test-side-by-side).
run-test-automl:
	$(AUTOML_TESTS)
