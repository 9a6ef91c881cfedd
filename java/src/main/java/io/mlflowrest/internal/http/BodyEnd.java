package io.mlflowrest.internal.http;

/** Told once when a response body is done: complete (the connection can be reused) or not. */
@FunctionalInterface
interface BodyEnd {
    void ended(boolean complete);
}
