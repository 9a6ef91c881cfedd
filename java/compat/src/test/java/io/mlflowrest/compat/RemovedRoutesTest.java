package io.mlflowrest.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Routes MLflow 2.0 removed go to their replacements, with the page size search insists on. */
class RemovedRoutesTest {
    @Test
    void removedRoutesAreReplaced() {
        assertEquals("experiments/search?max_results=1000", RemovedRoutes.rewrite("experiments/list"));
        assertEquals("experiments/search?view_type=ALL&max_results=1000",
                RemovedRoutes.rewrite("experiments/list?view_type=ALL"));
        assertEquals("registered-models/search?max_results=5", RemovedRoutes.rewrite("/registered-models/list?max_results=5"));
    }

    @Test
    void servedRoutesAreLeftAlone() {
        assertEquals("runs/get?run_id=1", RemovedRoutes.rewrite("runs/get?run_id=1"));
        assertEquals("experiments/search", RemovedRoutes.rewrite("experiments/search"));
    }
}
