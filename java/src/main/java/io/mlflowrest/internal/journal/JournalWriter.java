package io.mlflowrest.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.JournalError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends records to one journal file, each line with one write on a file opened for
 * appending, so lines never interleave and a killed process leaves at most a torn last line.
 * Reopening a file (sync appending its done records) first cuts a torn last line off.
 */
public final class JournalWriter implements AutoCloseable {
    /** When records reach the disk (family-rules.yaml, journal_fsync). */
    public enum Fsync {
        /** after every record */
        ALWAYS,
        /** at most every interval, and at close */
        INTERVAL,
        /** left to the OS */
        NEVER
    }

    private final Path file;
    private final FileChannel channel;
    private final Fsync fsync;
    private final long intervalNanos;
    private long lastSync = System.nanoTime();
    private boolean dirty;

    private JournalWriter(Path file, FileChannel channel, Fsync fsync, double intervalSeconds) {
        this.file = file;
        this.channel = channel;
        this.fsync = fsync;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
    }

    /**
     * Opens {@code file} for appending, creating it, after cutting off a torn last line.
     *
     * @param file the journal file
     * @param fsync when records reach the disk
     * @param intervalSeconds the longest time between two fsyncs with {@link Fsync#INTERVAL}
     * @return the writer
     * @throws JournalError naming the file when it cannot be opened
     */
    public static JournalWriter open(Path file, Fsync fsync, double intervalSeconds) {
        try {
            if (Files.isRegularFile(file)) {
                cutTornTail(file);
            }
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            return new JournalWriter(file, channel, fsync, intervalSeconds);
        } catch (IOException e) {
            throw new JournalError("cannot open the journal " + file + ": " + e.getMessage(), file, 0, e);
        }
    }

    /** Truncates the file after its last '\n': what follows is a write a killed process left half done. */
    private static void cutTornTail(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long keep = size;
            ByteBuffer one = ByteBuffer.allocate(1);
            while (keep > 0) {
                one.clear();
                ch.read(one, keep - 1);
                if (one.get(0) == '\n') {
                    break;
                }
                keep--;
            }
            if (keep < size) {
                ch.truncate(keep);
            }
        }
    }

    /** {@return the file this writer appends to} */
    public Path file() {
        return file;
    }

    /**
     * Appends one record as one line (nulls written: the open record's tracking_uri is null offline), with one write, and fsyncs as the policy says.
     *
     * @param record the record
     * @throws JournalError naming the file when the write fails (disk full); earlier lines are untouched
     */
    public synchronized void append(JsonNode record) {
        byte[] line = (record.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) { // one call for a regular file; the loop covers a short write
                channel.write(buffer);
            }
            dirty = true;
            if (fsync == Fsync.ALWAYS || fsync == Fsync.INTERVAL && System.nanoTime() - lastSync >= intervalNanos) {
                force();
            }
        } catch (IOException e) {
            throw new JournalError("cannot write to the journal " + file + " (disk full?): " + e.getMessage()
                    + "; the call was not sent and nothing recorded before it is lost", file, 0, e);
        }
    }

    private void force() throws IOException {
        if (dirty && fsync != Fsync.NEVER) {
            channel.force(false);
        }
        dirty = false;
        lastSync = System.nanoTime();
    }

    @Override
    public synchronized void close() {
        try {
            if (channel.isOpen()) {
                force();
                channel.close();
            }
        } catch (IOException e) {
            throw new JournalError("cannot close the journal " + file + ": " + e.getMessage(), file, 0, e);
        }
    }
}
