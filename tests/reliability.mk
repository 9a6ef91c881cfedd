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

# Two groups at once (tests/harness/groups.py), balanced by the --durations each prints.
RELIABILITY_GROUPS := \
  --group "tests/faults/test_faults.py tests/faults/test_java_dropin.py tests/faults/test_pool_deadlock.py tests/auth" \
  --group "tests/faults/test_journal.py tests/faults/test_logger.py tests/bad_input"

test-reliability: $(addprefix setup-,$(LANGS)) setup-postgres
	cd $(ROOT) && CONTRACT_LANGS=$(subst $(space),$(comma),$(strip $(LANGS))) \
	  $(PY) -m tests.harness.groups --timeout 1800 $(RELIABILITY_GROUPS) -q -s --durations=8
