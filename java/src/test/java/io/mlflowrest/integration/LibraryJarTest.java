package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    /**
     * Every jar the library's build writes (target/*.jar but its sources and javadoc) is a library
     * jar: no Main-Class, nothing of another project's inside; the example has its own module.
     */
    @Test
    void theLibraryJarCarriesNoMainClassAndNoShadedCopies() throws Exception {
        List<Path> jars;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            jars = files.filter(p -> p.toString().endsWith(".jar") && !p.toString().endsWith("-sources.jar")
                    && !p.toString().endsWith("-javadoc.jar")).toList();
        }
        assertTrue(jars.stream().anyMatch(p -> p.getFileName().toString().matches("mlflowrest-[0-9.]+\\.jar")),
                "no target/mlflowrest-<version>.jar among " + jars + ": this test runs after mvn package");
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                assertNull(file.getManifest().getMainAttributes().getValue("Main-Class"), jar + " names a Main-Class");
                assertEquals("io.mlflowrest", file.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
                List<String> foreign = file.stream().map(e -> e.getName())
                        .filter(n -> n.endsWith(".class") && !n.startsWith("io/mlflowrest/")).toList();
                assertEquals(List.of(), foreign, jar + " carries classes of other projects");
                assertTrue(file.stream().noneMatch(e -> e.getName().startsWith("io/mlflowrest/example/")),
                        jar + " carries the example");
            }
        }
    }
}
