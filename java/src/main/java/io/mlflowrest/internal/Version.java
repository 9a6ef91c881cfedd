package io.mlflowrest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The SDK's version, written once in pom.xml and filtered into version.properties by Maven. */
public final class Version {
    /** e.g. {@code 0.1.0}; {@code unknown} when the resource is missing (classes built without Maven). */
    public static final String VERSION = read();
    /** What every request sends as User-Agent. */
    public static final String USER_AGENT = "mlflowrest-java/" + VERSION;

    private Version() {}

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("/io/mlflowrest/version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
