package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Runs with the integration tests, after {@code mvn package} made the jar (no server needed). */
class LibraryJarTest {
    /** The library's jar is a library: no Main-Class, nothing of another project's inside. */
    @Test
    void theLibraryJarCarriesNoMainClassAndNoShadedCopies() throws Exception {
        Path jar;
        try (Stream<Path> jars = Files.list(Path.of("target"))) {
            jar = jars.filter(p -> p.getFileName().toString().matches("mlflowrest-[0-9.]+(-SNAPSHOT)?\\.jar"))
                    .findFirst().orElse(null);
        }
        assertNotNull(jar, "no target/mlflowrest-<version>.jar: this test runs after mvn package");
        try (JarFile file = new JarFile(jar.toFile())) {
            assertNull(file.getManifest().getMainAttributes().getValue("Main-Class"), jar + " names a Main-Class");
            List<String> foreign = file.stream().map(e -> e.getName())
                    .filter(n -> n.endsWith(".class") && !n.startsWith("io/mlflowrest/")).toList();
            assertEquals(List.of(), foreign, jar + " carries classes of other projects");
            assertTrue(file.stream().noneMatch(e -> e.getName().startsWith("io/mlflowrest/example/")),
                    jar + " carries the example");
        }
    }
}
