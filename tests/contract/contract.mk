# The contract suite (included by the root Makefile): every scenario in every SDK present, on
# two stores (test_contract.py) and five artifact backends (test_artifact_backends.py).
.PHONY: test-contract run-test-contract lint-contract
comma := ,
empty :=
space := $(empty) $(empty)

CONTRACT_SETUP := $(addprefix setup-,$(LANGS)) setup-postgres $(if $(filter java,$(LANGS)),setup-spark-java) setup-stores
CONTRACT_TESTS = cd $(ROOT) && CONTRACT_LANGS=$(subst $(space),$(comma),$(strip $(LANGS))) \
  $(PY) -m pytest -q -s tests/contract tests/examples
test-contract: $(CONTRACT_SETUP)
	$(CONTRACT_TESTS)
# Without its set-up: make test runs it beside others (Makefile, test-side-by-side).
run-test-contract:
	$(CONTRACT_TESTS)

# The suite's own files against their schemas (scenario.schema.json, family.schema.json), in make lint.
lint: lint-contract
lint-contract: setup-python
	cd $(ROOT) && $(PY) -m tests.contract.runner.scenario_file

# The step-format reference in tests/contract/README.md, written from scenario.schema.json.
.PHONY: generate-contract
generate: generate-contract
generate-contract: setup-python
	cd $(ROOT) && $(PY) -m tests.contract.runner.scenario_reference
GENERATED += tests/contract/README.md
