package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.internal.artifacts.ArtifactNames;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The artifact-name rule every store accepts (the same limits as Python's _names.py). */
class ArtifactNamesTest {
    @Test
    void refusedNamesAreTypedAndNamed() {
        List<String[]> bad = List.of(new String[] {"a#b.txt", "no '#'"}, new String[] {"a%2523b", "no '#'"},
                new String[] {"dir\\f.txt", "no '\\'"}, new String[] {"C:f.txt", "no '\\'"},
                new String[] {"x/../y", "no '..'"}, new String[] {"x/%2E%2E/y", "no '..'"},
                new String[] {"/abs", "a relative path"},
                new String[] {"d/" + "n".repeat(256), "max_name_bytes=255"},
                new String[] {("d".repeat(200) + "/").repeat(6), "max_path_bytes=1024"});
        for (String[] c : bad) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, () -> ArtifactNames.check("local_path", c[0]), c[0]);
            assertEquals("local_path", e.field());
            assertEquals(c[1], e.limit(), c[0]);
            assertTrue(e.getMessage().contains(c[0]), e.getMessage());
        }
    }

    @Test
    void ordinaryNamesPass() {
        for (String ok : List.of("model/MLmodel", "données ü/日本語.txt", "a+b c.csv", "100%.txt", ".hidden", "x..y")) {
            assertDoesNotThrow(() -> ArtifactNames.check("local_path", ok), ok);
        }
    }
}
