# Python SDK targets (included by the root Makefile).
.PHONY: generate-python lint-python test-python demo-python

generate-python: setup-python
	cd $(ROOT) && $(PY) python/codegen/generate.py

lint-python: setup-python
	cd $(ROOT)/python && $(PY) -m ruff check src tests codegen examples && $(PY) -m ruff format --check src tests codegen examples
	cd $(ROOT)/python && $(PY) -m mypy src

# Unit tests mock HTTP; integration tests share one harness server (tests/conftest.py), and the
# artifact-store tests start s3proxy, Azurite and the Databricks stand-in (setup-stores).
test-python: lint-python setup-stores
	cd $(ROOT) && $(PY) -m pytest -q -s python/tests --ignore=python/tests/plugins

demo-python: setup-python
	cd $(ROOT) && $(PY) python/examples/quickstart.py
