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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p>When every slot is taken, a writer stands in the host's queue: the kernel's queue for the
 * record lock on {@code queue.lock} ({@link FileChannel#lock()}, F_SETLKW), taken at once when
 * nobody waits. At its head it tries every slot without blocking, from a random one, up to
 * queue_poll_ms apart, until one is free, then leaves the queue to the next writer. So one writer
 * per host polls, the others wait asleep and cost no CPU, a freed slot is taken within
 * queue_poll_ms, and writers go in turn: one that has just released a slot queues behind the
 * others. (Every waiter polling cost 410 instead of 150 us of CPU per point with 64 writers;
 * every waiter blocking on one random slot left freed slots idle and let a releaser take its
 * slot again before the woken waiters ran: 20% slower than polling.) F_SETLKW cannot be
 * interrupted without closing the channel, so a daemon helper thread blocks in it and the writer
 * waits for the hand-over at most its timeout; a queue lock granted after its writer left is
 * given back at once, unless the JVM's next writer takes that place in the queue over.
 *
 * <p>Record locks belong to the process, not to a channel or a thread, and closing any descriptor
 * of a file drops them all. So one registry per directory is shared by every client of the JVM:
 * one thread of the JVM at a time stands in the host's queue (a fair in-JVM lock before
 * {@code queue.lock}), the registry remembers which slots the JVM holds (never tried again while
 * held: that would throw OverlappingFileLockException), and it keeps each file's channel open for
 * the JVM's life.
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
    /*
     * The threads that block in FileChannel.lock on queue.lock for waiting writers, at most one
     * per registry at a time. Never interrupted: that would close the channel, dropping every lock of the JVM
     * on its file. Daemons: a wait the kernel never ends must not keep the JVM alive.
     */
    private static final ExecutorService WAITERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "mlflowrest-host-slot-wait");
        thread.setDaemon(true);
        return thread;
    });
    private static final HostSlots NONE = new HostSlots(null, 0);
    private static final Held NO_SLOT = new Held(null, -1);
    private static final int QUEUE = -1; // the queue's file in the registry's channels, beside the slots

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
     * Takes a slot: stands in the host's queue and, at its head, tries the slots until one is
     * free (one round at once when nobody waits). After {@code timeout}, or when
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
        try {
            int index = registry.take(count, System.nanoTime() + timeout.toNanos());
            if (index >= 0) {
                return new Held(registry, index);
            }
            if (!registry.disabled()) {
                LOG.log(System.Logger.Level.DEBUG, "no host write slot in {0} in {1}: writing without one",
                        registry.dir, timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the request still goes; the caller keeps its flag
        }
        return NO_SLOT;
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

    /** The slot files of one directory, as this JVM holds them. Its monitor guards all its state. */
    private static final class Registry {
        final Path dir;
        // Record locks are the process's: the one thread of this JVM in the host's queue holds it
        // (fair: the JVM's writers go in turn too).
        private final ReentrantLock head = new ReentrantLock(true);
        private final Map<Integer, FileChannel> channels = new HashMap<>(); // open for the JVM's life
        private final Map<Integer, FileLock> held = new HashMap<>();
        private Wait queueWait; // the helper blocking in lock() on queue.lock, if any
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

        /**
         * A slot's index, or -1 at the deadline or when the slots are off: in the host's queue,
         * then at its head rounds of tries until a slot is free.
         */
        int take(int count, long deadline) throws InterruptedException {
            if (!head.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return -1;
            }
            try {
                FileLock queue = enterQueue(deadline);
                if (queue == null) {
                    return -1;
                }
                try {
                    return poll(count, deadline);
                } finally {
                    synchronized (this) {
                        giveBack(QUEUE, queue); // the next writer of the host is at the head
                    }
                }
            } finally {
                head.unlock();
            }
        }

        /**
         * Holds queue.lock: at once when nobody waits, else after the kernel's queue; null at the
         * deadline or with the slots off.
         */
        private FileLock enterQueue(long deadline) throws InterruptedException {
            while (true) {
                synchronized (this) {
                    if (disabled) {
                        return null;
                    }
                    Wait wait = queueWait;
                    if (wait == null) {
                        FileChannel channel = channel(QUEUE);
                        if (channel == null) {
                            return null;
                        }
                        try {
                            FileLock lock = channel.tryLock();
                            if (lock != null) {
                                return lock;
                            }
                            if (deadline - System.nanoTime() <= 0) {
                                return null;
                            }
                            wait = new Wait(channel);
                            queueWait = wait;
                            Wait started = wait;
                            WAITERS.execute(() -> block(started));
                        } catch (ClosedChannelException e) {
                            channels.remove(QUEUE, channel); // closed under us: reopened next round
                            wait = null;
                        } catch (IOException | OverlappingFileLockException e) {
                            LOG.log(System.Logger.Level.DEBUG, "entering the host write queue of {0}: {1}", dir,
                                    e.toString());
                            wait = null;
                        }
                    } else {
                        // A writer of this JVM left the queue before its grant: take its place over.
                        wait.state = Wait.WAITING;
                    }
                    if (wait != null) {
                        FileLock lock = handedOver(wait, deadline);
                        if (lock != null || wait.state == Wait.ABANDONED) {
                            return lock;
                        }
                    }
                }
                // The kernel refused the wait (EDEADLK: this process holds a lock another
                // waiter's process wants, though both would release soon) or it failed: try again.
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(Rules.HOST_SLOTS_MAX_POLL_MS)));
            }
        }

        /**
         * At the head of the queue: rounds over the slots, first_poll_ms apart doubling up to
         * queue_poll_ms, until one is free, the slots are off (-1) or the deadline (-1).
         */
        private int poll(int count, long deadline) throws InterruptedException {
            long pause = TimeUnit.MILLISECONDS.toNanos(Rules.HOST_SLOTS_FIRST_POLL_MS);
            long longest = TimeUnit.MILLISECONDS.toNanos(Rules.HOST_SLOTS_QUEUE_POLL_MS);
            while (true) {
                int index = tryOne(count);
                if (index >= 0 || disabled) {
                    return index;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return -1;
                }
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, left));
                pause = Math.min(pause * 2, longest);
            }
        }

        /**
         * Waits (with the monitor held) until the helper grants queue.lock (returned), fails, or
         * the deadline passes; then abandons the wait, so a late grant is given back at once.
         */
        private FileLock handedOver(Wait wait, long deadline) throws InterruptedException {
            try {
                while (wait.state == Wait.WAITING) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        wait.state = Wait.ABANDONED;
                        return null;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                if (wait.state == Wait.GRANTED) {
                    giveBack(QUEUE, wait.lock); // an interrupted writer goes without, as before it waited
                } else if (wait.state == Wait.WAITING) {
                    wait.state = Wait.ABANDONED;
                }
                throw e;
            }
            return wait.state == Wait.GRANTED ? wait.lock : null;
        }

        /** In a helper thread: blocks in the kernel's queue, then hands the lock over or gives it back. */
        private void block(Wait wait) {
            FileLock lock = null;
            Exception failure = null;
            try {
                lock = wait.channel.lock();
                if (lock == null) {
                    failure = new ClosedChannelException();
                }
            } catch (IOException | RuntimeException e) {
                failure = e; // EDEADLK ("Resource deadlock avoided"), a closed channel, ...
            }
            synchronized (this) {
                if (queueWait == wait) {
                    queueWait = null;
                }
                if (failure != null) {
                    if (failure instanceof ClosedChannelException) {
                        channels.remove(QUEUE, wait.channel); // reopened next round
                    }
                    if (wait.state == Wait.WAITING) {
                        wait.state = Wait.FAILED;
                    }
                    LOG.log(System.Logger.Level.DEBUG, "waiting in the host write queue of {0}: {1}", dir,
                            failure.toString());
                } else if (wait.state == Wait.WAITING) {
                    wait.lock = lock;
                    wait.state = Wait.GRANTED;
                } else {
                    giveBack(QUEUE, lock); // its writer left: nobody of this JVM may keep the queue
                }
                notifyAll();
            }
        }

        private FileChannel channel(int index) {
            FileChannel channel = channels.get(index);
            if (channel == null) {
                try {
                    Files.createDirectories(dir);
                    String name = index == QUEUE ? Rules.HOST_SLOTS_QUEUE_FILE : index + ".lock";
                    channel = FileChannel.open(dir.resolve(name), OPEN, PRIVATE);
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
            if (lock != null) {
                giveBack(index, lock); // the head of the queue takes it within queue_poll_ms
            }
        }

        private void giveBack(int index, FileLock lock) {
            try {
                lock.release();
            } catch (ClosedChannelException e) {
                channels.remove(index, lock.channel()); // closing the channel dropped the lock already
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "cannot release host write lock {0} of {1}: {2}",
                        index == QUEUE ? Rules.HOST_SLOTS_QUEUE_FILE : index, dir, e.toString());
            }
        }
    }

    /** One wait in the kernel's queue for queue.lock; its state changes under the registry's monitor. */
    private static final class Wait {
        static final int WAITING = 0;
        static final int GRANTED = 1; // lock is the writer's
        static final int ABANDONED = 2; // the writer left: a late grant is given back (or taken over)
        static final int FAILED = 3; // the kernel refused or the channel closed: the writer tries again

        final FileChannel channel;
        int state = WAITING;
        FileLock lock;

        Wait(FileChannel channel) {
            this.channel = channel;
        }
    }
}
