package io.mlflowrest.internal;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * docs/design.md's retry policy: connection errors, timeouts, 408, 429, 500, 502, 503, 504 are
 * retried; no other 4xx ever is. The wait is Retry-After (capped at 60 s) when the answer has
 * one, else min(factor * 2^n, 60) + uniform(0, jitter) seconds.
 */
public record RetryPolicy(int maxRetries, double backoffFactorSeconds, double backoffJitterSeconds) {
    private static final Set<Integer> RETRIED_STATUSES = Set.of(408, 429, 500, 502, 503, 504);
    private static final double CAP_SECONDS = 60;

    public static boolean isRetriedStatus(int status) {
        return RETRIED_STATUSES.contains(status);
    }

    /** How long to wait before retry {@code attempt} (0-based), given the answer's Retry-After. */
    public Duration delay(int attempt, String retryAfter) {
        Double fromHeader = parseRetryAfter(retryAfter);
        double seconds;
        if (fromHeader != null) {
            seconds = Math.min(Math.max(fromHeader, 0), CAP_SECONDS);
        } else {
            double jitter = backoffJitterSeconds > 0 ? ThreadLocalRandom.current().nextDouble(backoffJitterSeconds) : 0;
            seconds = Math.min(backoffFactorSeconds * Math.pow(2, attempt), CAP_SECONDS) + jitter;
        }
        return Duration.ofNanos((long) (seconds * 1e9));
    }

    static Double parseRetryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime when = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return (when.toInstant().toEpochMilli() - System.currentTimeMillis()) / 1000.0;
            } catch (RuntimeException notDate) {
                return null;
            }
        }
    }
}
