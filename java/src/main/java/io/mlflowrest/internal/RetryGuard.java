package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * Asked before a create is retried: did the earlier try take effect after all (its answer
 * lost)? If so, its answer is returned instead of creating a duplicate.
 */
@FunctionalInterface
public interface RetryGuard {
    Optional<JsonNode> answerOfEarlierTry();

    RetryGuard NONE = Optional::empty;
}
