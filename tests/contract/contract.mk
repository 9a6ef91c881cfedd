# The contract suite (included by the root Makefile): every scenario in every SDK present, on
# two stores (test_contract.py) and five artifact backends (test_artifact_backends.py).
.PHONY: test-contract
comma := ,
empty :=
space := $(empty) $(empty)

test-contract: $(addprefix setup-,$(LANGS)) setup-postgres $(if $(filter java,$(LANGS)),setup-spark-java) setup-stores
	cd $(ROOT) && CONTRACT_LANGS=$(subst $(space),$(comma),$(strip $(LANGS))) $(PY) -m pytest -q -s tests/contract tests/examples
