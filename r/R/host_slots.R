# Write slots shared by every process of this host that writes to one server, in any language
# (family-rules.yaml `host_slots`, the rule Python's _host_slots.py and Java follow byte for byte).
# The write window (congestion.R) bounds one session's requests; 64 writer processes still had 64
# in flight, and 15 log_batch requests in one server worker deadlock on its pool for 30 s. So every
# write that the window counts also holds one of `host_write_slots` lock files while it is in
# flight. They are POSIX record locks: filelock takes them with fcntl() on Unix, as Python's
# fcntl.lockf and Java's FileChannel.tryLock do, so the three SDKs see each other's, and the kernel
# drops a dead process's locks (a killed writer keeps no slot).
# A slot is a courtesy to the server, never a reason to fail or hang: no directory or no lock
# support means no slots, and a writer that waited the client's timeout goes without one.

# "scheme://host:port" of the server's resolved address, hashed: no credentials, paths or query
# strings reach the file system. NULL for what is not an http(s) URL (offline:DIR).
host_slots_key <- function(url) {
  parts <- regmatches(url, regexec(
    "^([A-Za-z][A-Za-z0-9+.-]*)://(?:[^/?#@]*@)?(\\[[^]/?#]*\\]|[^:/?#]*)(?::([0-9]*))?(?:[/?#].*)?$",
    url, perl = TRUE))[[1]]
  if (length(parts) != 4L) return(NULL)
  scheme <- tolower(parts[2])
  if (!scheme %in% c("http", "https")) return(NULL)
  port <- if (nzchar(parts[4])) as.integer(parts[4]) else c(http = 80L, https = 443L)[[scheme]]
  text <- sprintf("%s://%s:%d", scheme, tolower(parts[3]), port)
  substr(digest::digest(text, algo = "sha256", serialize = FALSE), 1L, rules_host_slots$key_hex_chars)
}

# {tmp}/mlflowrest-{user}/writes-{key}. Not tempdir(): that is this session's own, and the slots
# are the host's. `tmp` is there for tests.
host_slots_directory <- function(url, tmp = NULL) {
  # Cached per URL: each log_batch call asks, and the key costs a regex and a SHA-256.
  root <- tmp %||% non_empty(Sys.getenv("TMPDIR")) %||% "/tmp"
  cache <- .globals$host_slot_dirs %||% (.globals$host_slot_dirs <- new.env(parent = emptyenv()))
  name <- paste0(root, "\r", url)
  if (!is.null(cache[[name]])) return(if (identical(cache[[name]], "")) NULL else cache[[name]])
  directory <- host_slots_directory_of(url, root)
  assign(name, directory %||% "", envir = cache)
  directory
}

host_slots_directory_of <- function(url, root) {
  key <- host_slots_key(url)
  if (is.null(key)) return(NULL)
  user <- gsub("[^A-Za-z0-9._-]", "_", Sys.info()[["effective_user"]])
  file.path(root, sub("{key}", key, sub("{user}", user, rules_host_slots$directory, fixed = TRUE), fixed = TRUE))
}

# This process's slots of one directory, shared by every client of the session. Record locks
# belong to the process: locking a slot it already holds would succeed again, so `held` (slot
# index -> filelock object, kept so its finalizer cannot unlock it) says which never to try.
host_slots_state <- function(directory) {
  registry <- .globals$host_slots %||% (.globals$host_slots <- new.env(parent = emptyenv()))
  state <- registry[[directory]]
  # A forked child (parallel::mcparallel) inherits the registry but none of the locks.
  if (is.null(state) || !identical(state$pid, Sys.getpid())) {
    state <- new.env(parent = emptyenv())
    state$directory <- directory
    state$pid <- Sys.getpid()
    state$held <- list()
    state$disabled <- FALSE
    state$waited_out <- 0L  # writes that went without a slot after the timeout
    assign(directory, state, envir = registry)
  }
  state
}

# The client's slots, or NULL when it takes none (host_write_slots 0, offline).
host_slots_for <- function(client, tmp = NULL) {
  count <- as.integer(client$host_write_slots %||% 0L)
  if (count < 1L || isTRUE(client$offline)) return(NULL)
  directory <- host_slots_directory(client$host, tmp)
  if (is.null(directory)) return(NULL)
  state <- host_slots_state(directory)
  state$count <- count
  state
}

# One round over the free slots, without waiting, from a random one (spreads the processes).
# A handle with the slot, or NULL when every slot is taken. A failure that is not contention
# (no directory, a foreign file) turns the slots off: a handle without a slot.
host_slot_try <- function(state) {
  if (is.null(state) || state$disabled) return(host_slot_handle(state, NULL))
  count <- state$count
  start <- sample.int(count, 1L) - 1L
  for (step in seq_len(count) - 1L) {
    index <- (start + step) %% count
    if (!is.null(state$held[[as.character(index)]])) next
    lock <- host_slot_lock_now(state, paste0(index, ".lock"))
    if (isFALSE(lock)) return(host_slot_handle(state, NULL))
    if (is.null(lock)) next  # another process holds it
    state$held[[as.character(index)]] <- lock
    return(host_slot_handle(state, index))
  }
  NULL
}

# Locks file `name` of the slots' directory without waiting: the lock, NULL when another process
# holds it, or FALSE when the slots cannot work here (no directory, a foreign file), which turns
# them off. The directory is made only when opening fails: the head's tries come every few ms.
host_slot_lock_now <- function(state, name) {
  path <- file.path(state$directory, name)
  # (filelock warns, then fails, on a missing directory)
  retry <- function(e) {
    dir.create(state$directory, showWarnings = FALSE, recursive = TRUE)  # (or another process made it)
    give_up <- function(e) {
      state$disabled <- TRUE  # read-only file system, foreign owner: writes go without slots
      FALSE
    }
    tryCatch(filelock::lock(path, exclusive = TRUE, timeout = 0), warning = give_up, error = give_up)
  }
  tryCatch(filelock::lock(path, exclusive = TRUE, timeout = 0), warning = retry, error = retry)
}

# Holds a slot for one write. The writer stands in the host's queue, the kernel's queue for the
# record lock on queue_file (filelock::lock with a timeout blocks in fcntl F_SETLKW and ends its
# own wait with a timer), asleep; at its head it tries the slots first_poll_ms apart doubling up
# to queue_poll_ms until one is free, then leaves the queue to the next writer. One writer per
# host polls, and writers go in turn (family-rules.yaml host_slots says why, with the figures).
# After `timeout` seconds, or with no slots, a handle without a slot.
host_slot_acquire <- function(state, timeout) {
  if (is.null(state) || state$disabled) return(host_slot_handle(state, NULL))
  deadline <- as.numeric(Sys.time()) + timeout
  queue <- host_slot_queue(state, deadline)
  if (is.null(queue)) {
    return(if (state$disabled) host_slot_handle(state, NULL) else host_slot_waited_out(state))
  }
  on.exit(filelock::unlock(queue))
  pause <- rules_host_slots$first_poll_ms / 1000
  repeat {
    handle <- host_slot_try(state)
    if (!is.null(handle)) return(handle)
    left <- deadline - as.numeric(Sys.time())
    if (left <= 0) return(host_slot_waited_out(state))
    Sys.sleep(min(pause, left))
    pause <- min(pause * 2, rules_host_slots$queue_poll_ms / 1000)
  }
}

# The queue's lock, once this writer is at the head: at once when nobody waits, else after the
# kernel's queue. NULL at the deadline, or with the slots off (no directory, a foreign file). A
# refused wait (EDEADLK, should this session hold a slot the head's process waits for) is tried
# again after max_poll_ms.
host_slot_queue <- function(state, deadline) {
  lock <- host_slot_lock_now(state, rules_host_slots$queue_file)
  if (isFALSE(lock)) return(NULL)
  path <- file.path(state$directory, rules_host_slots$queue_file)
  repeat {
    if (!is.null(lock)) return(lock)
    left <- deadline - as.numeric(Sys.time())
    if (left <= 0) return(NULL)
    lock <- tryCatch(filelock::lock(path, exclusive = TRUE, timeout = max(1, ceiling(left * 1000))),
                     error = function(e) {
                       Sys.sleep(min(max(left, 0), rules_host_slots$max_poll_ms / 1000))
                       NULL
                     })
  }
}

host_slot_waited_out <- function(state) {
  state$waited_out <- state$waited_out + 1L
  host_slot_handle(state, NULL)
}

host_slot_handle <- function(state, index) {
  handle <- new.env(parent = emptyenv())
  handle$state <- state
  handle$index <- index  # NULL: the write goes without a slot
  handle
}

# Gives the slot back when the write's answer (or failure) is in; twice is harmless.
host_slot_release <- function(handle) {
  if (is.null(handle) || is.null(handle$index)) return(invisible())
  key <- as.character(handle$index)
  handle$index <- NULL
  state <- handle$state
  lock <- state$held[[key]]
  state$held[[key]] <- NULL
  if (!is.null(lock)) filelock::unlock(lock)
  invisible()
}
