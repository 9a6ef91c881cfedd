package io.mlflowrest.errors;

import java.nio.file.Path;

/**
 * The on-disk journal (docs/journal.md) could not be written or read: the disk is full, a line
 * in the middle of a file does not parse, or an offline client was asked to read from a server
 * it does not have. Names the journal file and, for a corrupt line, its number.
 */
public class JournalError extends MlflowError {
    private static final long serialVersionUID = 1L;
    /** @serial the journal file at fault, or null */
    private final String file;
    /** @serial the 1-based line at fault, or 0 */
    private final long line;

    /**
     * @param message what went wrong, naming the file
     * @param file the journal file at fault, or null
     * @param line the 1-based line at fault, or 0 when no one line is
     * @param cause the underlying exception, or null
     */
    public JournalError(String message, Path file, long line, Throwable cause) {
        super(message, cause);
        this.file = file == null ? null : file.toString();
        this.line = line;
    }

    /** {@return the journal file at fault, or null} */
    public Path file() {
        return file == null ? null : Path.of(file);
    }

    /** {@return the 1-based line at fault, or 0} */
    public long line() {
        return line;
    }
}
