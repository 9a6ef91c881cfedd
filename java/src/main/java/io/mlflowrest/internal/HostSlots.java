package io.mlflowrest.internal;

import io.mlflowrest.generated.Rules;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Write slots shared by every process of this host that writes to one server, in any of the
 * family's languages (docs/design.md, "Overload"; the rule is family-rules.yaml {@code host_slots}).
 * A client's {@link WriteLimit} bounds its own requests, but 64 writer processes still had 64 in
 * flight, and 15 in one server worker deadlock log_batch on its pool for 30 s. So each write also
 * holds one of {@code hostWriteSlots} lock files. They are POSIX record locks
 * ({@link FileChannel#tryLock()}, the fcntl F_SETLK that Python's fcntl.lockf and R's filelock
 * take), so the three SDKs see each other's, and the kernel drops a dead process's locks: a
 * killed writer keeps no slot.
 *
 * <p>Record locks belong to the process, not to a channel or a thread, and closing any descriptor
 * of a file drops them all. So one registry per directory is shared by every client of the JVM:
 * it remembers which slots the JVM holds (never tried again while held: that would throw
 * OverlappingFileLockException) and keeps each slot file's channel open for the JVM's life.
 */
public final class HostSlots {
    private static final System.Logger LOG = System.getLogger("io.mlflowrest");
    private static final Map<Path, Registry> REGISTRIES = new ConcurrentHashMap<>();
    private static final Set<StandardOpenOption> OPEN =
            Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
    // rw for the user alone, as Python creates them; only where the file system has POSIX modes
    private static final FileAttribute<?>[] PRIVATE =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                    : new FileAttribute<?>[0];
    private static final HostSlots NONE = new HostSlots(null, 0);
    private static final Held NO_SLOT = new Held(null, -1);

    private final Registry registry; // null: this client takes no slots
    private final int count;

    private HostSlots(Registry registry, int count) {
        this.registry = registry;
        this.count = count;
    }

    /** {@return slots that are never taken: writes go without (offline clients, tests)} */
    public static HostSlots none() {
        return NONE;
    }

    /**
     * The slots of the server this base URL names, under $TMPDIR (else /tmp).
     *
     * @param baseUrl the http(s) URL the transport sends to, after any profile resolution
     * @param count how many slots (config hostWriteSlots); 0 takes none
     * @return the slots, shared with every client of this JVM writing to the same server
     */
    public static HostSlots forServer(URI baseUrl, int count) {
        return forServer(baseUrl, count, tmpRoot());
    }

    /**
     * As above under another temporary directory (tests pass their own instead of changing
     * TMPDIR).
     *
     * @param baseUrl the http(s) URL the transport sends to
     * @param count how many slots; 0 takes none
     * @param tmp the temporary directory the slots' directory goes under
     * @return the slots
     */
    public static HostSlots forServer(URI baseUrl, int count, Path tmp) {
        if (count <= 0) {
            return NONE; // nothing is created on disk
        }
        Path dir = directory(baseUrl, tmp).toAbsolutePath().normalize();
        return new HostSlots(REGISTRIES.computeIfAbsent(dir, Registry::new), count);
    }

    /**
     * The server's name in the directory: the hash of scheme://host:port, so no credential, path
     * or query string reaches the file system. Every SDK derives the same key.
     *
     * @param uri the server's URL
     * @return the first key_hex_chars hex characters of the SHA-256 of "scheme://host:port"
     */
    public static String key(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost(); // IPv6 keeps its brackets, as the rule writes it
        int port = uri.getPort();
        if (host == null && uri.getRawAuthority() != null) {
            // a name java.net.URI does not take as a host (e.g. with "_"): read the authority
            String authority = uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1);
            int colon = authority.lastIndexOf(':');
            if (colon >= 0 && colon > authority.lastIndexOf(']')) {
                String digits = authority.substring(colon + 1);
                port = digits.isEmpty() ? -1 : Integer.parseInt(digits);
                authority = authority.substring(0, colon);
            }
            host = authority;
        }
        host = host == null ? "" : host.toLowerCase(Locale.ROOT);
        if (port < 0) {
            port = scheme.equals("http") ? 80 : scheme.equals("https") ? 443 : 0;
        }
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256")
                    .digest((scheme + "://" + host + ":" + port).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        StringBuilder hex = new StringBuilder();
        for (byte b : digest) {
            hex.append(String.format("%02x", b));
        }
        return hex.substring(0, Rules.HOST_SLOTS_KEY_HEX_CHARS);
    }

    /**
     * The slots' directory for a server: {@code {tmp}/mlflowrest-{user}/writes-{key}}.
     *
     * @param uri the server's URL
     * @param tmp the temporary directory
     * @return the directory (not created)
     */
    public static Path directory(URI uri, Path tmp) {
        return tmp.resolve(Rules.HOST_SLOTS_DIRECTORY.replace("{user}", user()).replace("{key}", key(uri)));
    }

    /** {@return this user's name as the directory spells it: anything outside [A-Za-z0-9._-] made "_"} */
    public static String user() {
        return System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** $TMPDIR as Python and R read it, not java.io.tmpdir: all three must name the same directory. */
    private static Path tmpRoot() {
        String tmp = System.getenv("TMPDIR");
        return Path.of(tmp == null || tmp.isEmpty() ? "/tmp" : tmp);
    }

    /** {@return the slots' directory, or null when this client takes none} */
    public Path directory() {
        return registry == null ? null : registry.dir;
    }

    /** {@return false when writes go without slots: none configured, or the directory unusable} */
    public boolean enabled() {
        return registry != null && !registry.disabled();
    }

    /**
     * Takes a free slot: tries every one once without blocking, from a random one, then sleeps
     * (first_poll_ms, doubling up to max_poll_ms) and tries again. After {@code timeout}, or when
     * the thread is interrupted (its flag kept), it goes without one: a slot is a courtesy to the
     * server, and must not turn into a hang.
     *
     * @param timeout the longest wait, the client's request timeout
     * @return the slot (or none), to close once the request is answered
     */
    public Held acquire(Duration timeout) {
        if (registry == null || registry.disabled() || Thread.currentThread().isInterrupted()) {
            return NO_SLOT; // an interrupted thread would close the channel, dropping every lock on its file
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = Rules.HOST_SLOTS_FIRST_POLL_MS;
        while (true) {
            int index = registry.tryOne(count);
            if (index >= 0) {
                return new Held(registry, index);
            }
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            if (registry.disabled()) {
                return NO_SLOT;
            }
            if (leftMs <= 0) {
                LOG.log(System.Logger.Level.DEBUG, "no host write slot in {0} in {1}: writing without one",
                        registry.dir, timeout);
                return NO_SLOT;
            }
            try {
                Thread.sleep(Math.min(pause, leftMs));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the request still goes; the caller keeps its flag
                return NO_SLOT;
            }
            pause = Math.min(pause * 2, Rules.HOST_SLOTS_MAX_POLL_MS);
        }
    }

    /** A slot held while a write is in flight (or none); closing it gives it back. */
    public static final class Held implements WriteLimit.Slot {
        private final Registry registry;
        private final int index;
        private boolean closed;

        private Held(Registry registry, int index) {
            this.registry = registry;
            this.index = index;
        }

        /** {@return the slot's number, or -1 when the write goes without one} */
        public int index() {
            return index;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed || registry == null) {
                    return;
                }
                closed = true;
            }
            registry.release(index);
        }
    }

    /** The slot files of one directory, as this JVM holds them. */
    private static final class Registry {
        final Path dir;
        private final Map<Integer, FileChannel> channels = new HashMap<>(); // open for the JVM's life
        private final Map<Integer, FileLock> held = new HashMap<>();
        private volatile boolean disabled;

        Registry(Path dir) {
            this.dir = dir;
        }

        boolean disabled() {
            return disabled;
        }

        /** One round: the first free slot of 0..count-1 from a random start, or -1. */
        synchronized int tryOne(int count) {
            int start = ThreadLocalRandom.current().nextInt(count); // spread the processes over the slots
            for (int step = 0; step < count && !disabled; step++) {
                int index = (start + step) % count;
                if (held.containsKey(index)) {
                    continue;
                }
                FileChannel channel = channel(index);
                if (channel == null) {
                    return -1;
                }
                try {
                    FileLock lock = channel.tryLock();
                    if (lock != null) {
                        held.put(index, lock);
                        return index;
                    }
                } catch (OverlappingFileLockException e) {
                    continue; // held through another path of this JVM: not free for us either
                } catch (ClosedChannelException e) {
                    channels.remove(index); // closed under us (an interrupt): reopen next round
                } catch (IOException e) {
                    disable(e);
                }
            }
            return -1;
        }

        private FileChannel channel(int index) {
            FileChannel channel = channels.get(index);
            if (channel == null) {
                try {
                    Files.createDirectories(dir);
                    channel = FileChannel.open(dir.resolve(index + ".lock"), OPEN, PRIVATE);
                } catch (IOException | UnsupportedOperationException | SecurityException e) {
                    disable(e); // read-only file system, foreign owner: writes go without slots
                    return null;
                }
                channels.put(index, channel);
            }
            return channel;
        }

        private void disable(Exception e) {
            disabled = true;
            LOG.log(System.Logger.Level.DEBUG, "host write slots off for {0}: {1}", dir, e.toString());
        }

        synchronized void release(int index) {
            FileLock lock = held.remove(index);
            if (lock == null) {
                return;
            }
            try {
                lock.release();
            } catch (ClosedChannelException e) {
                channels.remove(index); // closing the channel dropped the lock already
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "cannot release host write slot {0} of {1}: {2}", index, dir,
                        e.toString());
            }
        }
    }
}
