# JSON details the server is particular about (docs/design.md, "Wire details"): metric
# values with NaN/Inf as strings, int64 as plain integers, ids as strings.

# Vectorised JSON string literal; the batch encoder builds request bodies from these.
json_quote <- function(x) {
  if (length(x) == 0L) return(character())
  x <- enc2utf8(as.character(x))
  # Most strings (keys, run ids) need no escaping: one scan instead of six.
  if (!any(grepl("[\\\"\001-\037]", x, useBytes = TRUE))) return(paste0("\"", x, "\""))
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  x <- gsub("\"", "\\\"", x, fixed = TRUE)
  x <- gsub("\n", "\\n", x, fixed = TRUE)
  x <- gsub("\r", "\\r", x, fixed = TRUE)
  x <- gsub("\t", "\\t", x, fixed = TRUE)
  controls <- grepl("[\001-\037]", x, useBytes = TRUE)
  if (any(controls)) {
    x[controls] <- vapply(x[controls], function(s) {
      chars <- strsplit(s, "", fixed = TRUE)[[1]]
      codes <- vapply(chars, utf8ToInt, integer(1))
      ctl <- codes < 32L
      chars[ctl] <- sprintf("\\u%04x", codes[ctl])
      paste(chars, collapse = "")
    }, character(1), USE.NAMES = FALSE)
  }
  paste0("\"", x, "\"")
}

# The shortest decimal form that reads back as the same double; NaN/Inf as the strings
# the server expects.
json_metric_value <- function(value) {
  value <- as.numeric(value)
  if (length(value) == 1L && is.finite(value)) {
    # The common single finite value, without the vectorised special cases.
    out <- sprintf("%.15g", value)
    return(if (as.numeric(out) == value) out else sprintf("%.17g", value))
  }
  out <- sprintf("%.15g", value)
  inexact <- is.finite(value) & suppressWarnings(as.numeric(out)) != value
  out[inexact] <- sprintf("%.17g", value[inexact])
  out[is.nan(value)] <- "\"NaN\""
  out[is.infinite(value) & value > 0] <- "\"Infinity\""
  out[is.infinite(value) & value < 0] <- "\"-Infinity\""
  out[is.na(value) & !is.nan(value)] <- "\"NaN\""
  out
}

# Digit strings (int64 beyond a double's 2^53) go out as written, leading zeros dropped.
json_int64 <- function(x) {
  if (is.character(x)) sub("^(-?)0+([0-9])", "\\1\\2", x) else sprintf("%.0f", as.numeric(x))
}

# Metric values read back from the server: numbers, or the strings above.
parse_metric_value <- function(value) {
  if (is.numeric(value)) return(as.numeric(value))
  switch(as.character(value),
         "NaN" = NaN, "Infinity" = Inf, "-Infinity" = -Inf,
         suppressWarnings(as.numeric(value)))
}

now_ms <- function() floor(as.numeric(Sys.time()) * 1000)

# .POSIXct() with an explicit zone: as.POSIXct() would ask the system for the local zone
# (timedatectl, which fails and warns in containers).
ms_to_time <- function(ms) {
  .POSIXct(if (is.null(ms)) NA_real_ else as.numeric(ms) / 1000, tz = "UTC")
}

# POSIXct or milliseconds; anything else (text, a factor) is refused by name, before
# as.numeric() could warn about it.
time_to_ms <- function(x, field = "timestamp") {
  if (is.null(x)) return(NULL)
  if (inherits(x, "POSIXt")) return(floor(as.numeric(x) * 1000))
  if (is_int64_text(x)) return(check_int64_text(x, field))
  if (!is.numeric(x)) {
    abort_invalid(sprintf("%s must be a POSIXct time or milliseconds since the epoch (a number), not %s",
                          field, class(x)[1]), field)
  }
  as.numeric(x)
}

json_text <- function(x) structure(x, class = "json")
