# Every write takes one of the host's write slots, lock files under $TMPDIR (R/host_slots.R), left
# there on purpose for the host's next writers. Under R CMD check $TMPDIR is the check's own, which
# must stay clean: the tests' slots go to this session's tempdir(), removed when it ends.
withr::local_envvar(TMPDIR = tempdir(), .local_envir = testthat::teardown_env())
