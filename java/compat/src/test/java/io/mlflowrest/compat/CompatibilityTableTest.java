package io.mlflowrest.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * java/COMPATIBILITY.md is what CompatibilityTable renders now: every official method has a row
 * and a calling test. With -Dcompat.table.write=true (make compat-table) it rewrites the file instead.
 */
class CompatibilityTableTest {
    @Test
    void tableIsUpToDate() throws IOException {
        Path file = Path.of(System.getProperty("compat.table"));
        String rendered = CompatibilityTable.render();
        if (Boolean.getBoolean("compat.table.write")) {
            Files.writeString(file, rendered);
        }
        assertEquals(rendered, Files.readString(file), "java/COMPATIBILITY.md is stale: run make compat-table");
    }
}
