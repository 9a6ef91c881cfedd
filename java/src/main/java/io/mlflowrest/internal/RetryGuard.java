package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * Asked before a create is retried: did the earlier try take effect after all (its answer
 * lost)? If so, its answer is returned instead of creating a duplicate.
 */
@FunctionalInterface
public interface RetryGuard {
    /** {@return the earlier try's answer when it took effect, else empty (then the create is resent)} */
    Optional<JsonNode> answerOfEarlierTry();

    /** For every call that is not a recover-by-request-id create: nothing to look up. */
    RetryGuard NONE = Optional::empty;
}
