# Reliability and security suites (included by the root Makefile): faults, bad input, auth, TLS.
# The contract suite's PostgreSQL run needs Debian's postgresql too.
.PHONY: setup-postgres test-reliability

$(STAMP)/postgres:
	@mkdir -p $(STAMP)
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then echo "PostgreSQL already installed"; else \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends postgresql; fi
	@touch $@
setup-postgres: $(STAMP)/postgres

test-reliability: $(addprefix setup-,$(LANGS)) setup-postgres
	cd $(ROOT) && CONTRACT_LANGS=$(subst $(space),$(comma),$(strip $(LANGS))) \
	  $(PY) -m pytest -q -s tests/faults tests/bad_input tests/auth
