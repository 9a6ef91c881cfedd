package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mlflowrest.internal.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The version and the User-Agent come from pom.xml, the one place the version is written. */
class VersionTest {
    @Test
    void versionIsThePomVersion() throws Exception {
        String pom = Files.readString(Path.of(System.getProperty("basedir", "."), "pom.xml"));
        Matcher m = Pattern.compile("<artifactId>mlflowrest</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        m.find();
        assertEquals(m.group(1), Version.VERSION);
        assertEquals("mlflowrest-java/" + m.group(1), Version.USER_AGENT);
    }
}
