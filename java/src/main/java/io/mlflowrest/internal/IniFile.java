package io.mlflowrest.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The INI files users already have: ~/.databrickscfg, ~/.aws/credentials and ~/.aws/config. */
public final class IniFile {
    private IniFile() {}

    /**
     * The key = value lines of one [section]; empty when the file or the section is missing.
     * Comment lines (# and ;) are skipped; keys and values are stripped.
     */
    public static Optional<Map<String, String>> section(Path file, String wanted) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Map<String, String> values = null;
        String current = null;
        try {
            for (String raw : Files.readAllLines(file)) {
                String line = raw.strip();
                if (line.startsWith("[") && line.endsWith("]")) {
                    current = line.substring(1, line.length() - 1).strip();
                    if (wanted.equals(current) && values == null) {
                        values = new HashMap<>();
                    }
                } else if (wanted.equals(current) && line.contains("=") && !line.startsWith("#")
                        && !line.startsWith(";")) {
                    int eq = line.indexOf('=');
                    values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return Optional.ofNullable(values);
    }
}
