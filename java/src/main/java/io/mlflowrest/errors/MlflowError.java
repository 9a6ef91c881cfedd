package io.mlflowrest.errors;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Base of every error mlflowrest raises; unchecked, like the official client's exceptions. */
public class MlflowError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Context added after the error was made, appended to the message. */
    private final List<String> notes = new CopyOnWriteArrayList<>();

    /**
     * @param message what went wrong
     */
    public MlflowError(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause the underlying exception, e.g. an IOException
     */
    public MlflowError(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Adds context to the message without changing the error's type, as Python's add_note
     * does (e.g. how much of a split logBatch was stored).
     *
     * @param note one sentence, appended to the message after a semicolon
     */
    public void addNote(String note) {
        notes.add(note);
    }

    /** {@return the notes added so far, oldest first; a copy} */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    @Override
    public String getMessage() {
        String message = super.getMessage();
        return notes.isEmpty() ? message : message + "; " + String.join("; ", notes);
    }
}
