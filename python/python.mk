# Python SDK targets (included by the root Makefile).
.PHONY: generate-python lint-python test-python demo-python

generate-python: setup-python
	cd $(ROOT) && $(PY) python/codegen/generate.py

# ruff over every Python file of the repository and mypy over all but the package's own tests, with
# the root pyproject.toml's settings (strict; relaxed for tests, benchmarks and examples); the
# package's layout is also held to ruff format.
MYPY_PATHS := python/src python/codegen python/examples tests bench openapi/tools java/codegen r/codegen \
  r/tests/python examples
lint-python: setup-python
	cd $(ROOT) && $(PY) -m ruff check .
	cd $(ROOT)/python && $(PY) -m ruff format --check src tests codegen examples
	cd $(ROOT) && $(PY) -m mypy $(MYPY_PATHS)

# Unit tests mock HTTP; integration tests share one harness server (tests/conftest.py), and the
# artifact-store tests start s3proxy, Azurite and the Databricks stand-in (setup-stores).
test-python: lint-python setup-stores
	cd $(ROOT) && $(PY) -m pytest -q -s python/tests --ignore=python/tests/plugins

demo-python: setup-python
	cd $(ROOT) && $(PY) python/examples/quickstart.py
