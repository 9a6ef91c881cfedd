# The host's write slots (R/host_slots.R, family-rules.yaml `host_slots`): lock files shared by
# every writer process of the host, in any of the three languages.

# Slots of `count` under a fresh temporary root, as the client would take them.
slots_under <- function(count, url = "http://127.0.0.1:5000", .local_envir = parent.frame()) {
  root <- withr::local_tempdir(.local_envir = .local_envir)
  host_slots_for(list(host = url, host_write_slots = count), tmp = root)
}

elapsed <- function(expr) {
  started <- as.numeric(Sys.time())
  force(expr)
  as.numeric(Sys.time()) - started
}

test_that("the server's key is the family's, for every example", {
  for (uri in names(rules_host_slots_key_examples)) {
    expect_equal(host_slots_key(uri), rules_host_slots_key_examples[[uri]], info = uri)
  }
  # Default ports are explicit, brackets of IPv6 kept, no credentials, path or query.
  expect_equal(host_slots_key("http://127.0.0.1:5000/x?y=1"), host_slots_key("http://127.0.0.1:5000"))
  expect_equal(host_slots_key("https://example.com"), host_slots_key("HTTPS://Example.com/mlflow/?x=1"))
  expect_equal(host_slots_key("http://example.com:80"), host_slots_key("http://example.com"))
  expect_equal(host_slots_key("http://[::1]:5000/"),
               substr(digest::digest("http://[::1]:5000", algo = "sha256", serialize = FALSE), 1, 16))
  expect_null(host_slots_key("offline:/tmp/x"))
})

test_that("the directory is under TMPDIR (else /tmp), per user and server", {
  root <- withr::local_tempdir()
  user <- gsub("[^A-Za-z0-9._-]", "_", Sys.info()[["effective_user"]])
  withr::local_envvar(TMPDIR = root)
  expect_equal(host_slots_directory("http://127.0.0.1:5000"),
               file.path(root, paste0("mlflowrest-", user), "writes-f9413619c3096789"))
  withr::local_envvar(TMPDIR = "")
  expect_equal(host_slots_directory("http://127.0.0.1:5000"),
               file.path("/tmp", paste0("mlflowrest-", user), "writes-f9413619c3096789"))
})

test_that("two slots: two writes hold them, a third goes without after the timeout", {
  slots <- slots_under(2L)
  first <- host_slot_acquire(slots, 1)
  second <- host_slot_acquire(slots, 1)
  expect_setequal(c(first$index, second$index), 0:1)
  expect_setequal(list.files(slots$directory), c("0.lock", "1.lock", rules_host_slots$queue_file))
  took <- elapsed(third <- host_slot_acquire(slots, 0.2))
  expect_null(third$index)
  expect_gte(took, 0.19)
  expect_lt(took, 2)
  expect_equal(slots$waited_out, 1L)
  host_slot_release(first)
  host_slot_release(first)  # twice: harmless
  again <- host_slot_acquire(slots, 1)
  expect_equal(again$index, setdiff(0:1, second$index))  # the freed one
  host_slot_release(again)
  host_slot_release(second)
  expect_length(slots$held, 0L)
})

test_that("no slots: nothing is created and writes go at once", {
  root <- withr::local_tempdir()
  expect_null(host_slots_for(list(host = "http://127.0.0.1:5000", host_write_slots = 0L), tmp = root))
  expect_null(host_slots_for(list(host = "offline:/x", host_write_slots = 2L, offline = TRUE), tmp = root))
  handle <- host_slot_acquire(NULL, 5)
  expect_null(handle$index)
  host_slot_release(handle)
  expect_length(list.files(root, recursive = TRUE, include.dirs = TRUE), 0L)
})

test_that("a directory that cannot be made turns the slots off, without an error", {
  root <- withr::local_tempfile()
  writeLines("a file, not a directory", root)
  slots <- host_slots_for(list(host = "http://127.0.0.1:5000", host_write_slots = 2L), tmp = root)
  took <- elapsed(handle <- host_slot_acquire(slots, 5))
  expect_null(handle$index)
  expect_true(slots$disabled)
  expect_lt(took, 1)
})

test_that("the client reads MLFLOWREST_HOST_WRITE_SLOTS", {
  expect_equal(test_client("http://127.0.0.1:5000")$host_write_slots, 14L)
  expect_equal(test_client("http://127.0.0.1:5000", MLFLOWREST_HOST_WRITE_SLOTS = "0")$host_write_slots, 0L)
  expect_error(test_client("http://127.0.0.1:5000", MLFLOWREST_HOST_WRITE_SLOTS = "-1"),
               class = "mlflowrest_invalid_parameter_value")
})

test_that("slots held by another process (Python's fcntl.lockf) are not taken, then are", {
  skip_if(Sys.which("python3") == "", "no python3")
  slots <- slots_under(2L)
  dir.create(slots$directory, recursive = TRUE)
  out <- withr::local_tempfile()
  script <- paste(
    "import fcntl, os, sys, time",
    "fds = [os.open(os.path.join(sys.argv[1], f'{i}.lock'), os.O_RDWR | os.O_CREAT, 0o600) for i in range(2)]",
    "[fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB) for fd in fds]",
    "open(sys.argv[2] + '.pid', 'w').write(str(os.getpid()))",
    "open(sys.argv[2], 'w').write('held')",
    "time.sleep(60)",
    sep = "\n")
  system2("python3", c("-c", shQuote(script), shQuote(slots$directory), shQuote(out)), wait = FALSE)
  deadline <- Sys.time() + 10
  while (!(file.exists(out) && identical(readLines(out, warn = FALSE), "held")) && Sys.time() < deadline) {
    Sys.sleep(0.02)
  }
  expect_true(file.exists(out))
  pid <- as.integer(readLines(paste0(out, ".pid"), warn = FALSE))
  withr::defer(tools::pskill(pid))
  took <- elapsed(handle <- host_slot_acquire(slots, 0.3))
  expect_null(handle$index)
  expect_gte(took, 0.29)
  tools::pskill(pid)
  handle <- host_slot_acquire(slots, 10)  # the kernel drops a dead process's locks
  expect_true(handle$index %in% 0:1)
  host_slot_release(handle)
})

test_that("log_batch and the background logger hold a slot per request in flight, then give it back", {
  web <- stub_server()
  root <- withr::local_tempdir()
  withr::local_envvar(TMPDIR = root)
  client <- test_client(web$url(), MLFLOWREST_HOST_WRITE_SLOTS = "2")
  slots <- host_slots_for(client)
  mlflow_log_batch(metrics = data.frame(key = "m", value = 1:2500, step = 1:2500, timestamp = 1),
                   run_id = "slots-1", client = client)
  expect_true(dir.exists(slots$directory))
  expect_length(slots$held, 0L)
  # slow-*: 0.2 s a batch, so the window (8) would keep several in flight; the slots keep two.
  logger <- start_background_logger(client, "slow-slots", 60)
  withr::defer(stop_background_logger("slow-slots"))
  for (i in 0:4999) mlflow_log_metric("m", i, step = i, run_id = "slow-slots", client = client)
  mlflow_flush("slow-slots", timeout = 30)
  expect_equal(logger$stored, 5000)
  expect_lte(logger$peak_in_flight, 2L)
  expect_length(slots$held, 0L)
  expect_length(ls(logger$slots), 0L)
})

# Another process holding lock file `name` of the slots' directory for `seconds`; returns once it
# holds it.
hold_in_python <- function(slots, name, seconds) {
  dir.create(slots$directory, recursive = TRUE, showWarnings = FALSE)
  out <- withr::local_tempfile(.local_envir = parent.frame())
  script <- paste(
    "import fcntl, os, sys, time",
    "fd = os.open(os.path.join(sys.argv[1], sys.argv[3]), os.O_RDWR | os.O_CREAT, 0o600)",
    "fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
    "open(sys.argv[2], 'w').write('held')",
    "time.sleep(float(sys.argv[4]))",
    sep = "\n")
  system2("python3", c("-c", shQuote(script), shQuote(slots$directory), shQuote(out), shQuote(name), seconds),
          wait = FALSE)
  deadline <- Sys.time() + 10
  while (!(file.exists(out) && identical(readLines(out, warn = FALSE), "held")) && Sys.time() < deadline) {
    Sys.sleep(0.02)
  }
  expect_true(file.exists(out))
}

test_that("a writer at the head of the queue gets the slot when the other process lets go", {
  skip_if(Sys.which("python3") == "", "no python3")
  slots <- slots_under(1L)
  hold_in_python(slots, "0.lock", 1)
  took <- elapsed(handle <- host_slot_acquire(slots, 30))
  expect_equal(handle$index, 0L)
  expect_lt(took, 10)  # far from the 30 s timeout
  host_slot_release(handle)
  expect_length(slots$held, 0L)
})

test_that("a writer behind another process in the queue waits for it, at most its timeout", {
  skip_if(Sys.which("python3") == "", "no python3")
  slots <- slots_under(1L)
  hold_in_python(slots, rules_host_slots$queue_file, 1)
  took <- elapsed(handle <- host_slot_acquire(slots, 0.3))
  expect_null(handle$index)  # the slot itself was free: the queue came first
  expect_gte(took, 0.29)
  expect_equal(slots$waited_out, 1L)
  took <- elapsed(handle <- host_slot_acquire(slots, 30))  # the other process leaves the queue
  expect_equal(handle$index, 0L)
  expect_lt(took, 10)
  host_slot_release(handle)
})
