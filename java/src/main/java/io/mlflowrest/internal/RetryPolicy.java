package io.mlflowrest.internal;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.generated.Rules;
import java.util.concurrent.ThreadLocalRandom;

/**
 * docs/design.md's retry policy: connection errors, timeouts, 408, 429, 500, 502, 503, 504 are
 * retried; no other 4xx ever is. The wait is Retry-After (capped at 60 s) when the answer has
 * one, else min(factor * 2^n, 60) + uniform(0, jitter) seconds. Overload answers are retried on
 * after maxRetries until overloadTimeoutSeconds have passed since the call's first try.
 *
 * @param maxRetries retries after the first try
 * @param backoffFactorSeconds the first backoff wait, doubled per retry
 * @param backoffJitterSeconds the most random time added to a backoff wait
 * @param overloadTimeoutSeconds how long overload answers are retried past maxRetries; 0: not at all
 */
public record RetryPolicy(int maxRetries, double backoffFactorSeconds, double backoffJitterSeconds,
        double overloadTimeoutSeconds) {
    private static final double CAP_SECONDS = Rules.MAX_BACKOFF_SECONDS;

    /**
     * A policy with no overload budget (storage services, which answer no overload signature).
     *
     * @param maxRetries retries after the first try
     * @param backoffFactorSeconds the first backoff wait, doubled per retry
     * @param backoffJitterSeconds the most random time added to a backoff wait
     */
    public RetryPolicy(int maxRetries, double backoffFactorSeconds, double backoffJitterSeconds) {
        this(maxRetries, backoffFactorSeconds, backoffJitterSeconds, 0);
    }

    /**
     * Whether a call stops retrying: its retries are spent, unless the server said it is busy (an
     * overload signature that outlasts max_retries) and less than the overload budget has passed
     * (family-rules.yaml, retry.overload).
     *
     * @param attempt retries made so far
     * @param overload whether the last answer said the server is busy
     * @param spentSeconds seconds since the first try (the larger of the clock's and the waits' sum)
     * @return true when the call gives up
     */
    public boolean outOfRetries(int attempt, boolean overload, double spentSeconds) {
        // maxRetries 0 turns every retry off (a probe, or the user's choice), overload's too.
        return attempt >= maxRetries && !(overload && maxRetries > 0 && spentSeconds < overloadTimeoutSeconds);
    }

    /**
     * Whether an answer with this status is retried (408, 429, 5xx).
     *
     * @param status the HTTP status
     * @return true when retried
     */
    public static boolean isRetriedStatus(int status) {
        return Rules.RETRY_STATUSES.contains(status);
    }

    /**
     * A retried status, or an overload answer whatever its status (family-rules.yaml, retry.overload).
     *
     * @param error the answer's typed error
     * @return true when retried
     */
    public static boolean isRetried(ApiError error) {
        int status = error.httpStatus() == null ? 0 : error.httpStatus();
        return isRetriedStatus(status) || isOverload(error);
    }

    /**
     * The server (or a proxy before it) refused for load (family-rules.yaml, retry.overload).
     *
     * @param error the answer's typed error
     * @return true when the answer matches an overload signature
     */
    public static boolean isOverload(ApiError error) {
        return overloadSignature(error) != null;
    }

    /**
     * The overload signature an answer matches (family-rules.yaml, retry.overload).
     *
     * @param error the answer's typed error
     * @return the first matching signature, or null
     */
    public static Rules.Overload overloadSignature(ApiError error) {
        int status = error.httpStatus() == null ? 0 : error.httpStatus();
        String text = error.serverMessage() == null ? "" : error.serverMessage();
        for (Rules.Overload o : Rules.OVERLOAD) {
            if ((o.status() == null || o.status() == status)
                    && (o.errorCode() == null || o.errorCode().equals(error.errorCode()))
                    && (o.contains() == null || text.contains(o.contains()))) {
                return o;
            }
        }
        return null;
    }

    /**
     * How long to wait before retry {@code attempt} (0-based), given the answer's Retry-After.
     *
     * @param attempt how many retries came before, from 0
     * @param retryAfter the Retry-After header, or null
     * @return the wait
     */
    public Duration delay(int attempt, String retryAfter) {
        Double fromHeader = parseRetryAfter(retryAfter);
        double seconds;
        if (fromHeader != null) {
            seconds = Math.min(Math.max(fromHeader, 0), Rules.MAX_RETRY_AFTER_SECONDS);
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
