package io.mlflowrest.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.errors.JournalError;
import io.mlflowrest.internal.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one journal file from the format alone (docs/journal.md), whoever wrote it: a last
 * line without its '\n' or that does not parse is a torn write, ignored and counted; an
 * unparseable line elsewhere is corruption, a JournalError naming the file and the line.
 */
public final class JournalReader {
    private JournalReader() {}

    /**
     * What a file holds.
     *
     * @param file the file read
     * @param records its full records, in order
     * @param tornLines 1 when a torn last line was ignored, else 0
     */
    public record Contents(Path file, List<ObjectNode> records, int tornLines) {}

    /**
     * @param file a journal file
     * @return its records
     * @throws JournalError naming the file and line for a corrupt line, or the file when it cannot be read
     */
    public static Contents read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new JournalError("cannot read the journal " + file + ": " + e.getMessage(), file, 0, e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        List<ObjectNode> records = new ArrayList<>();
        int torn = 0;
        int start = 0;
        long number = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            boolean last = end < 0 || end == text.length() - 1;
            String line = end < 0 ? text.substring(start) : text.substring(start, end);
            number++;
            JsonNode parsed = line.isBlank() ? null : Json.tryParse(line);
            if (end < 0 || !(parsed instanceof ObjectNode) || !parsed.path("type").isTextual()) {
                if (!last) {
                    throw new JournalError("the journal " + file + " is corrupt at line " + number
                            + ": not a JSON record", file, number, null);
                }
                torn++;
            } else {
                records.add((ObjectNode) parsed);
            }
            start = end < 0 ? text.length() : end + 1;
        }
        return new Contents(file, records, torn);
    }
}
