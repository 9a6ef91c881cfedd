# R package targets (included by the root Makefile, which defines ROOT, PY, HARNESS, STAMP
# and SUDO). Everything the package needs comes from Debian's r-cran-* packages: CRAN is
# not reachable from CI.
.PHONY: setup-r generate-r test-r test-r-stores test-r-databricks check-r demo-r r-tarball

R_DIR := $(ROOT)/r
R_LIB := $(ROOT)/.work/rlib
R_CHECK_DIR := $(ROOT)/.work/r-check
# Runtime (curl, jsonlite, yaml, tibble; digest and xml2 for S3 and Azure; filelock for the host's
# write slots, fcntl record locks shared with the Python and Java SDKs), Suggests (httpuv
# for mlflow_rfunc_serve, knitr and markdown for the vignette), generate (roxygen2 writes man/
# and NAMESPACE), tests (testthat, withr, webfakes), check (qpdf, which --as-cran asks for),
# example (the rest).
R_DEBS := r-base-core r-cran-curl r-cran-jsonlite r-cran-yaml r-cran-tibble r-cran-digest \
  r-cran-filelock r-cran-xml2 r-cran-httpuv r-cran-knitr r-cran-markdown r-cran-roxygen2 \
  r-cran-testthat r-cran-withr r-cran-lintr qpdf \
  r-cran-webfakes r-cran-randomforest r-cran-mass r-cran-caret r-cran-e1071
R_SOURCES := $(R_DIR)/DESCRIPTION $(R_DIR)/NAMESPACE $(wildcard $(R_DIR)/R/*.R $(R_DIR)/man/*.Rd)
R_ENV := R_LIBS=$(R_LIB) R_LIBS_USER=$(R_LIB)

# apt-get runs only when a package is missing (dpkg-query answers in milliseconds).
$(STAMP)/r-debs: $(R_DIR)/r.mk
	@mkdir -p $(STAMP)
	@if [ "$$(dpkg-query -W -f='$${Status}\n' $(R_DEBS) 2>/dev/null | grep -c 'install ok installed')" = "$(words $(R_DEBS))" ]; then \
	  echo "R packages already installed"; \
	else \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(R_DEBS); \
	fi
	@touch $@

$(STAMP)/r-install: $(STAMP)/r-debs $(R_SOURCES)
	@mkdir -p $(R_LIB)
	R CMD INSTALL --no-multiarch -l $(R_LIB) $(R_DIR)
	@touch $@

setup-r: $(STAMP)/r-install

# The limits, shared rules and one function per operation from the spec and data, then man/ and
# NAMESPACE from the roxygen comments.
generate-r: setup-python $(STAMP)/r-debs
	cd $(ROOT) && $(PY) r/codegen/generate_limits.py
	cd $(ROOT) && $(PY) r/codegen/generate_rules.py
	cd $(ROOT) && $(PY) r/codegen/generate_operations.py
	cd $(R_DIR) && Rscript -e 'roxygen2::roxygenise(".")' >/dev/null

# lintr over the package (R/, with r/.lintr) and its tests. r/.lintr keeps lintr's defaults but:
# lines up to 120 characters (the repository's width, ruff's too); names up to 40 (the CRAN mlflow
# vocabulary this package keeps goes to 37, mlflow_transition_model_version_stage); cyclomatic
# complexity up to 30 (the request helper's retry loop and the logger's flush read best whole);
# and leaves out only what lintr cannot be satisfied on: generated files hold one table entry per
# line (line length) and the operation layer is named by the spec (name length), and the vignette
# shows the CRAN package's code as comments. Tests are linted alone, without object_usage_linter
# and cyclocomp_linter: they run inside testthat, whose expect_* lintr cannot see, and a stub
# server's routes are one app-building function.
.PHONY: lint lint-r
lint: lint-r
lint-r: $(STAMP)/r-install
	cd $(R_DIR) && $(R_ENV) Rscript lint.R

# Unit tests (a local webfakes stub server) and integration tests (one harness server),
# the R scoring server and models seen from Python (pytest), the Databricks notebook, the
# artifact stores, then R CMD check.
test-r: setup-python setup-r
	$(HARNESS) env $(R_ENV) Rscript -e 'testthat::test_dir("$(R_DIR)/tests/testthat", package = "mlflowrest", load_package = "installed", stop_on_failure = TRUE, reporter = testthat::ProgressReporter$$new(show_praise = FALSE))'
	cd $(ROOT)/python && $(PY) -m ruff check $(R_DIR)/tests/python && $(PY) -m ruff format --check $(R_DIR)/tests/python
	$(HARNESS) env $(R_ENV) $(PY) -m pytest -q $(R_DIR)/tests/python/test_rfunc_serve.py
	$(MAKE) --no-print-directory test-r-databricks
	$(MAKE) --no-print-directory test-r-stores
	$(MAKE) --no-print-directory check-r

# The artifact and model tests again with the server's artifacts in each other store (the
# proxied one ran above), then the Pima example unchanged on the same server; the 1 GB file
# goes to S3 and through the Databricks stand-in.
R_STORE_BACKENDS := s3 azure path databricks
R_STORE_TEST := $(R_DIR)/tests/testthat/test-integration-artifact-stores.R
test-r-stores: setup-python setup-r setup-stores
	@set -e; for backend in $(R_STORE_BACKENDS); do \
	  echo "R artifact stores: $$backend"; \
	  cd $(ROOT) && MLFLOWREST_ARTIFACTS=$$backend MLFLOWREST_LARGE_FILE=1 $(PY) -m tests.harness run --artifacts $$backend -- \
	    env $(R_ENV) sh -c 'Rscript -e "testthat::test_file(\"$(R_STORE_TEST)\", package = \"mlflowrest\", load_package = \"installed\", stop_on_failure = TRUE, reporter = \"summary\")" && Rscript r/examples/pima_random_forest.R'; \
	done

# The chapter notebook as a Databricks R notebook runs it, against the Databricks stand-in;
# the Python and Java SDKs read the run back.
test-r-databricks: setup-python setup-r setup-java setup-stores
	cd $(ROOT) && $(PY) -m tests.harness run --artifacts databricks -- \
	  env $(R_ENV) $(PY) -m pytest -q $(R_DIR)/tests/python/test_databricks_notebook.py

# R CMD check --as-cran with the vignette built and every example run, minus what needs the
# network (CRAN's incoming checks, the clock check) and the PDF manual (no LaTeX here).
# Without MLFLOW_TRACKING_URI the examples that need a server are skipped by their guard.
# Anything but "Status: OK" fails.
R_CHECK_ENV := _R_CHECK_CRAN_INCOMING_REMOTE_=false _R_CHECK_SYSTEM_CLOCK_=false \
  _R_CHECK_FORCE_SUGGESTS_=false
check-r: setup-r
	rm -rf $(R_CHECK_DIR) && mkdir -p $(R_CHECK_DIR)
	cd $(R_CHECK_DIR) && env -u MLFLOW_TRACKING_URI R CMD build --no-manual $(R_DIR)
	cd $(R_CHECK_DIR) && env -u MLFLOW_TRACKING_URI $(R_CHECK_ENV) \
	  R CMD check --as-cran --no-manual mlflowrest_*.tar.gz || true
	@cd $(R_CHECK_DIR) && status=$$(grep '^Status:' mlflowrest.Rcheck/00check.log); echo "R CMD check $$status"; \
	  if [ "$$status" != "Status: OK" ]; then \
	    grep -A12 -E '\.\.\. (ERROR|WARNING|NOTE)$$|^ (WARNING|NOTE)$$' mlflowrest.Rcheck/00check.log; exit 1; fi

# The demo sets MLFLOW_TRACKING_URI; run alone, the example gets its own harness server.
demo-r: setup-r
	@if [ -n "$$MLFLOW_TRACKING_URI" ]; then \
	  cd $(ROOT) && $(R_ENV) Rscript r/examples/pima_random_forest.R; \
	else \
	  $(MAKE) --no-print-directory setup-python && \
	  $(HARNESS) env $(R_ENV) Rscript r/examples/pima_random_forest.R; \
	fi

# The source tarball users install into their own library or a Databricks cluster.
R_DIST := $(ROOT)/.work/r-dist
r-tarball: $(STAMP)/r-install
	rm -rf $(R_DIST) && mkdir -p $(R_DIST)
	cd $(R_DIST) && $(R_ENV) R CMD build $(R_DIR)
	@ls $(R_DIST)/mlflowrest_*.tar.gz
