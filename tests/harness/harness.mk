# Artifact stores for the harness's backends (included by the root Makefile): s3proxy's jar into
# ~/.m2 with Maven, Azurite into .work/azurite with npm, boto3 and azure-storage-blob into the venv
# (the harness presigns with boto3 and creates containers; the official client needs both).
.PHONY: setup-stores test-harness run-test-harness

S3PROXY_VERSION := 2.6.0
AZURITE_VERSION := 3.37.0

$(STAMP)/stores: $(STAMP)/python $(ROOT)/requirements/stores.txt $(ROOT)/tests/harness/harness.mk
	@mkdir -p $(STAMP) $(ROOT)/.work/azurite
	mvn -B -q dependency:get -Dartifact=org.gaul:s3proxy:$(S3PROXY_VERSION):jar:jar-with-dependencies
	cd $(ROOT)/.work/azurite && npm install --no-audit --no-fund --loglevel=error --prefix . azurite@$(AZURITE_VERSION)
	$(PY) -m pip install -q -r $(ROOT)/requirements/stores.txt
	@touch $@
setup-stores: $(STAMP)/stores

# The harness's own checks: each backend real, the Databricks stand-in faithful to the official client.
HARNESS_TESTS = cd $(ROOT) && $(PY) -m pytest -q -s tests/harness
test-harness: setup-stores
	$(HARNESS_TESTS)
# Without its set-up: make test runs it beside the contract suite (Makefile, test-side-by-side).
run-test-harness:
	$(HARNESS_TESTS)
