# Client-side checks with the server's own limits (R/generated_limits.R, from the spec), so
# a bad key fails before a request, with the field and the limit it broke.

limit <- function(name) mlflow_limits[[name]]

# Keys and ids already found valid, so a training loop logging the same key thousands of
# times pays the regular expressions once. Emptied when it grows large.
valid_cache <- function(kind) {
  caches <- .globals$valid %||% (.globals$valid <- new.env(parent = emptyenv()))
  caches[[kind]] %||% (caches[[kind]] <- new.env(hash = TRUE, parent = emptyenv()))
}

known_valid <- function(x, kind) {
  is.character(x) && length(x) == 1L && !is.na(x) && nzchar(x) &&
    isTRUE(valid_cache(kind)[[x]])
}

remember_valid <- function(x, kind) {
  if (length(x) != 1L) return()
  count <- (.globals$valid_count %||% 0L) + 1L
  if (count > 10000L) {
    .globals$valid <- NULL
    count <- 1L
  }
  .globals$valid_count <- count
  assign(x, TRUE, envir = valid_cache(kind))
}

# Python's \w is Unicode-aware; PCRE's only with (*UCP).
matches_limit_pattern <- function(x, pattern_name) {
  grepl(paste0("(*UCP)", limit(pattern_name)), x, perl = TRUE)
}

check_string <- function(x, field) {
  if (!is.character(x) || length(x) != 1L || is.na(x)) {
    abort_invalid(sprintf("%s must be a single string", field), field)
  }
  invisible(x)
}

check_max_length <- function(x, field, limit_name) {
  too_long <- nchar(x, type = "chars") > limit(limit_name)
  if (any(too_long)) {
    abort_invalid(sprintf("%s '%s...' is longer than %d characters", field,
                          substr(x[too_long][1], 1L, 40L), limit(limit_name)),
                  field, limit_name)
  }
  invisible(x)
}

# Metric, param and tag keys: the server's character class and its normpath rule
# (no '..' segment, no leading '/', no empty segment).
check_keys <- function(keys, field = "key", length_limit = "max_entity_key_length") {
  if (known_valid(keys, length_limit)) return(invisible(keys))
  keys <- as.character(keys)
  if (anyNA(keys) || any(!nzchar(keys))) abort_invalid(sprintf("%s must not be empty", field), field)
  check_max_length(keys, field, length_limit)
  bad <- !matches_limit_pattern(keys, "key_pattern") |
    grepl("(^/)|(//)|(^|/)\\.\\.?(/|$)|/$", keys)
  if (any(bad)) {
    abort_invalid(sprintf(
      "invalid %s '%s': use letters, digits, '_', '-', '.', ' ', ':' and '/' as in a relative path",
      field, keys[bad][1]), field, "key_pattern")
  }
  remember_valid(keys, length_limit)
  invisible(keys)
}

check_run_id <- function(run_id) {
  if (known_valid(run_id, "run_id")) return(invisible(run_id))
  check_string(run_id, "run_id")
  if (!matches_limit_pattern(run_id, "run_id_pattern")) {
    abort_invalid(sprintf("invalid run_id '%s'", run_id), "run_id", "run_id_pattern")
  }
  remember_valid(run_id, "run_id")
  invisible(run_id)
}

check_experiment_id <- function(experiment_id) {
  experiment_id <- as.character(experiment_id)
  check_string(experiment_id, "experiment_id")
  if (!matches_limit_pattern(experiment_id, "experiment_id_pattern")) {
    abort_invalid(sprintf("invalid experiment_id '%s'", experiment_id), "experiment_id",
                  "experiment_id_pattern")
  }
  invisible(experiment_id)
}

check_experiment_name <- function(name) {
  check_string(name, "name")
  if (!nzchar(name)) abort_invalid("experiment name must not be empty", "name")
  check_max_length(name, "name", "max_experiment_name_length")
}

check_alias <- function(alias) {
  check_string(alias, "alias")
  check_max_length(alias, "alias", "max_registered_model_alias_length")
  if (!matches_limit_pattern(alias, "alias_pattern") || identical(tolower(alias), "latest") ||
      grepl("^v[0-9]+$", alias)) {
    abort_invalid(sprintf("invalid alias '%s': letters, digits, '_' and '-', not 'latest' or 'v<n>'",
                          alias), "alias", "alias_pattern")
  }
  invisible(alias)
}

# Steps and timestamps: one whole number, or NULL for the default.
check_int64 <- function(x, field) {
  if (is_int64_text(x) && length(x) == 1L) return(check_int64_text(x, field))
  if (!is.null(x) && (!is.numeric(x) || length(x) != 1L || !is.finite(x))) {
    abort_invalid(sprintf("%s must be a single whole number", field), field)
  }
  check_int64_values(x, field)
}

# int64 fields (the spec's `format: int64`) held in R's doubles. Out of int64's range (the
# double 2^63 is already beyond 2^63 - 1; 2^63 + 5 written in R *is* 2^63) the server would
# store something else: refused with the range as limit, as in Python and Java. Within it but
# beyond +/-2^53 a double no longer holds every whole number (2^53 + 1 would be sent as 2^53):
# refused with that precision limit (give such values as digit strings, sent exactly).
# Vectorised for log-batch.
max_exact_int64 <- 2^53
int64_range_limit <- "ge=-9223372036854775808, le=9223372036854775807"

check_int64_values <- function(x, field) {
  if (is.null(x) || length(x) == 0L) return(invisible(x))
  bad <- !is.finite(x) | x != trunc(x) | abs(x) > max_exact_int64
  if (any(bad)) {
    i <- which(bad)[1]
    what <- if (length(x) > 1L) sprintf("%s at row %d", field, i) else field
    if (!is.finite(x[i]) || x[i] != trunc(x[i])) {
      abort_invalid(sprintf("%s must be a whole number (int64), got %s", what, format(x[i])), field)
    }
    if (x[i] >= 2^63 || x[i] < -2^63) {
      abort_invalid(sprintf("%s %s is outside int64", what, format(x[i], digits = 22)), field, int64_range_limit)
    }
    abort_invalid(sprintf(paste("%s is %s: int64 values in R are doubles, exact only up to",
                                "+/-2^53 (9007199254740992), so larger ones are refused"),
                          what, format(x[i], digits = 22)), field, "2^53")
  }
  invisible(x)
}

# Whole numbers written as text: how an int64 beyond 2^53 reaches the server exactly (a JSON
# reader keeps such numbers as strings too). Sent verbatim; outside int64, refused with the
# range as limit. Other text is left to the numeric checks, which refuse it.
is_int64_text <- function(x) is.character(x) && length(x) > 0L && all(grepl("^-?[0-9]+$", x))

check_int64_text <- function(x, field) {
  digits <- sub("^-?0*", "", x)
  bound <- ifelse(startsWith(x, "-"), "9223372036854775808", "9223372036854775807")
  # Compared as digit strings of equal length: as doubles, 2^63 - 1 would equal 2^63.
  outside <- nchar(digits) > 19L | (nchar(digits) == 19L & digits > bound)
  if (any(outside)) {
    i <- which(outside)[1]
    what <- if (length(x) > 1L) sprintf("%s at row %d", field, i) else field
    abort_invalid(sprintf("%s %s is outside int64", what, x[i]), field, int64_range_limit)
  }
  invisible(x)
}

# The background logger buffers steps and timestamps in doubles: a digit string is taken
# there only while a double holds it exactly.
buffered_int64 <- function(x, field) {
  if (!is.character(x)) return(x)
  number <- as.numeric(x)
  check_int64_values(number, field)
  if (json_int64(number) != json_int64(x)) {
    abort_invalid(sprintf("%s is %s: the background logger holds it as a double, exact only up to +/-2^53",
                          field, x), field, "2^53")
  }
  number
}

check_max_results <- function(max_results, limit_name) {
  if (!is.numeric(max_results) || length(max_results) != 1L || max_results < 1 ||
      max_results > limit(limit_name)) {
    abort_invalid(sprintf("max_results must be between 1 and %d", limit(limit_name)),
                  "max_results", limit_name)
  }
  invisible(max_results)
}

# The spec's constraints on an operation's query parameters and top-level body fields
# (api_operation_checks, generated from openapi/mlflow.yaml), checked before anything is sent so
# bad input is a typed error naming the field and the limit, as Python's models make it.
check_operation <- function(operation_id, values) {
  checks <- api_operation_checks[[operation_id]]
  if (is.null(checks)) return(invisible(values))
  for (name in checks$required) {
    if (is.null(values[[name]])) abort_invalid(sprintf("%s: %s is required", operation_id, name), name, "required")
  }
  for (name in intersect(names(checks$fields), names(values))) {
    values[[name]] <- check_field(name, values[[name]], checks$fields[[name]])
  }
  invisible(values)
}

# The value as it is to be sent: an int64 given as a digit string (beyond a double's 2^53) is
# marked to go out verbatim, as a JSON number.
check_field <- function(name, value, rule) {
  fail <- function(what, limit) abort_invalid(sprintf("%s %s", name, what), name, limit)
  if (isTRUE(rule$int64) && length(value) == 1L && is_int64_text(value)) {
    check_int64_text(value, name)
    return(structure(value, class = "json"))
  }
  if (!is.null(rule$max_items) && length(value) > rule$max_items) {
    fail(sprintf("has %d items, over the limit of %d", length(value), rule$max_items), rule$max_items)
  }
  if (is.character(value) && length(value) == 1L && !is.na(value)) check_text(value, rule, fail)
  if (is.numeric(value) && length(value) == 1L && !is.na(value)) check_rule_number(name, value, rule, fail)
  value
}

check_rule_number <- function(name, value, rule, fail) {
  # A double int64 is checked too: beyond int64 (a JSON reader's 2^63 + 5 arrives as one) or
  # beyond 2^53 it would reach the server as another number.
  if (isTRUE(rule$int64)) check_int64_values(value, name)
  if (!is.null(rule$minimum) && value < rule$minimum) fail(sprintf("must be at least %s", rule$minimum), rule$minimum)
  if (!is.null(rule$maximum) && value > rule$maximum) fail(sprintf("must be at most %s", rule$maximum), rule$maximum)
}

check_text <- function(value, rule, fail) {
  chars <- nchar(value, type = "chars")
  if (!is.null(rule$max_length) && chars > rule$max_length) {
    fail(sprintf("is %d characters, over the limit of %d", chars, rule$max_length), rule$max_length)
  }
  if (!is.null(rule$min_length) && chars < rule$min_length) {
    fail(sprintf("is %d characters, under the minimum of %d", chars, rule$min_length), rule$min_length)
  }
  # (*UCP): \w is any Unicode letter or digit, as in the server's Python patterns.
  if (!is.null(rule$pattern) && !grepl(paste0("(*UCP)", rule$pattern), value, perl = TRUE)) {
    fail(sprintf("'%s' does not match %s", value, rule$pattern), rule$pattern)
  }
  if (!is.null(rule$enum) && !value %in% rule$enum) {
    choices <- paste(rule$enum, collapse = ", ")
    fail(sprintf("'%s' is not one of %s", value, choices), choices)
  }
}
