package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.HostSlots;
import io.mlflowrest.internal.Transport;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write slots the processes of one host share per server (family-rules.yaml host_slots):
 * the key and directory every SDK derives, waiting in the host's queue (queue.lock) and giving up,
 * and POSIX record locks that Python's fcntl.lockf sees (and the other way round). Each test has its own temporary directory,
 * so its own slots: the registry is per directory and lives as long as the JVM.
 */
class HostSlotsTest {
    private static final URI SERVER = URI.create("http://127.0.0.1:5000");

    /**
     * Holds every slot file of DIR (argv 1, N = argv 2) with fcntl.lockf, says "held", and keeps
     * them until its stdin closes or it is killed.
     */
    private static final String PY_HOLD = String.join("\n",
            "import fcntl, os, sys",
            "fds = []",
            "for i in range(int(sys.argv[2])):",
            "    fd = os.open(os.path.join(sys.argv[1], '%d.lock' % i), os.O_RDWR | os.O_CREAT, 0o600)",
            "    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
            "    fds.append(fd)",
            "print('held', flush=True)",
            "sys.stdin.read()");

    /** Holds file argv 2 of DIR (argv 1) with fcntl.lockf, says "held", and keeps it until its stdin closes. */
    private static final String PY_HOLD_FILE = String.join("\n",
            "import fcntl, os, sys",
            "fd = os.open(os.path.join(sys.argv[1], sys.argv[2]), os.O_RDWR | os.O_CREAT, 0o600)",
            "fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
            "print('held', flush=True)",
            "sys.stdin.read()");

    /** Tries file argv 2 (default slot 0) of DIR once without blocking: prints "busy" or "free". */
    private static final String PY_TRY = String.join("\n",
            "import fcntl, os, sys",
            "name = sys.argv[2] if len(sys.argv) > 2 else '0.lock'",
            "fd = os.open(os.path.join(sys.argv[1], name), os.O_RDWR | os.O_CREAT, 0o600)",
            "try:",
            "    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
            "    print('free', flush=True)",
            "except OSError:",
            "    print('busy', flush=True)");

    /** Waits in the kernel's queue for file argv 2 of DIR (at most 10 s): prints "got", then exits. */
    private static final String PY_WAIT = String.join("\n",
            "import fcntl, os, signal, sys",
            "signal.alarm(10)",
            "fd = os.open(os.path.join(sys.argv[1], sys.argv[2]), os.O_RDWR | os.O_CREAT, 0o600)",
            "fcntl.lockf(fd, fcntl.LOCK_EX)",
            "print('got', flush=True)");

    @Test
    void everySdksKeyExamplesMatch() {
        assertFalse(Rules.HOST_SLOTS_KEY_EXAMPLES.isEmpty());
        for (Map.Entry<String, String> e : Rules.HOST_SLOTS_KEY_EXAMPLES.entrySet()) {
            assertEquals(e.getValue(), HostSlots.key(URI.create(e.getKey())), e.getKey());
        }
    }

    @Test
    void anIpv6HostKeepsItsBracketsAndDefaultPortsAreWrittenOut() throws Exception {
        assertEquals(sha16("http://[::1]:5000"), HostSlots.key(URI.create("http://[::1]:5000/x")));
        assertEquals(sha16("http://h:80"), HostSlots.key(URI.create("http://h")));
        assertEquals(sha16("https://h:443"), HostSlots.key(URI.create("https://H/")));
        assertEquals(HostSlots.key(URI.create("http://h:80")), HostSlots.key(URI.create("http://h")));
    }

    @Test
    void theDirectoryIsNamedByUserAndKeyUnderTheTemporaryDirectory(@TempDir Path tmp) {
        String user = System.getProperty("user.name");
        Path expected = tmp.resolve("mlflowrest-" + HostSlots.user()).resolve("writes-f9413619c3096789");
        assertEquals(expected, HostSlots.directory(SERVER, tmp));
        assertTrue(HostSlots.user().matches("[A-Za-z0-9._-]*"));
        try {
            System.setProperty("user.name", "DOMAIN\\J. Doe@x");
            assertEquals("DOMAIN_J._Doe_x", HostSlots.user());
        } finally {
            System.setProperty("user.name", user);
        }
    }

    @Test
    void twoSlotsTakeTwoWritesAndTheThirdGoesWithoutAfterTheTimeout(@TempDir Path tmp) {
        HostSlots slots = HostSlots.forServer(SERVER, 2, tmp);
        HostSlots.Held a = slots.acquire(Duration.ofSeconds(1));
        HostSlots.Held b = slots.acquire(Duration.ofSeconds(1));
        assertTrue(a.index() >= 0 && b.index() >= 0);
        assertNotEquals(a.index(), b.index());
        assertTrue(Files.exists(slots.directory().resolve("0.lock")));
        assertTrue(Files.exists(slots.directory().resolve("1.lock")));

        long start = System.nanoTime();
        HostSlots.Held c = slots.acquire(Duration.ofMillis(200));
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(-1, c.index(), "no slot left: the write goes without one");
        assertTrue(waitedMs >= 190 && waitedMs < 5000, "waited " + waitedMs + " ms");
        c.close(); // closing no slot is harmless

        a.close();
        HostSlots.Held d = slots.acquire(Duration.ofMillis(200));
        assertEquals(a.index(), d.index(), "the freed slot is the one taken next");
        // another client of this JVM, same server: the same slots
        assertEquals(-1, HostSlots.forServer(SERVER, 2, tmp).acquire(Duration.ofMillis(20)).index());
        b.close();
        d.close();
    }

    @Test
    void zeroSlotsCreateNothing(@TempDir Path tmp) throws Exception {
        HostSlots slots = HostSlots.forServer(SERVER, 0, tmp);
        assertFalse(slots.enabled());
        assertNull(slots.directory());
        assertEquals(-1, slots.acquire(Duration.ofSeconds(5)).index());
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void anUnusableDirectoryTurnsTheSlotsOffWithoutAnError(@TempDir Path tmp) throws Exception {
        // a file where the directory should go: no directory, even for root (who ignores modes)
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x");
        HostSlots slots = HostSlots.forServer(SERVER, 2, notADirectory);
        long start = System.nanoTime();
        assertEquals(-1, slots.acquire(Duration.ofSeconds(30)).index());
        assertEquals(-1, slots.acquire(Duration.ofSeconds(30)).index());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "did not wait");
        assertFalse(slots.enabled());
    }

    @Test
    void anInterruptedThreadGoesWithoutASlotAndKeepsItsFlag(@TempDir Path tmp) {
        HostSlots slots = HostSlots.forServer(SERVER, 1, tmp);
        HostSlots.Held held = slots.acquire(Duration.ofSeconds(1));
        assertEquals(0, held.index());
        Thread.currentThread().interrupt();
        try {
            long start = System.nanoTime();
            assertEquals(-1, slots.acquire(Duration.ofSeconds(30)).index());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "did not wait");
            assertTrue(Thread.currentThread().isInterrupted());
            held.close(); // given back by a thread interrupted during its request
        } finally {
            Thread.interrupted();
        }
        HostSlots.Held again = slots.acquire(Duration.ofSeconds(1));
        assertEquals(0, again.index(), "the slot's channel survived the interrupt");
        again.close();
    }

    @Test
    void pythonsLockfAndJavasTryLockSeeEachOther(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(python3(), "python3 is needed");
        HostSlots slots = HostSlots.forServer(SERVER, 2, tmp);
        Path dir = slots.directory();
        Files.createDirectories(dir);

        // Python holds both: Java gets none, waits its timeout, then goes without.
        Process holder = start(PY_HOLD, dir.toString(), "2");
        try {
            assertEquals("held", line(holder));
            long start = System.nanoTime();
            assertEquals(-1, slots.acquire(Duration.ofMillis(300)).index(), "Python's locks are seen");
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(290));
        } finally {
            holder.destroyForcibly();
            assertTrue(holder.waitFor(20, TimeUnit.SECONDS));
        }
        // The kernel dropped the dead process's locks.
        HostSlots.Held mine = slots.acquire(Duration.ofSeconds(5));
        assertTrue(mine.index() >= 0);
        mine.close();

        // Java holds slot 0: Python sees it busy, then free once Java gives it back.
        HostSlots one = HostSlots.forServer(SERVER, 1, tmp);
        HostSlots.Held zero = one.acquire(Duration.ofSeconds(5));
        assertEquals(0, zero.index());
        assertEquals("busy", python(PY_TRY, dir.toString()));
        zero.close();
        assertEquals("free", python(PY_TRY, dir.toString()));
    }

    @Test
    void aWaiterBehindAnotherProcessGetsTheSlotAsSoonAsItIsReleased(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(python3(), "python3 is needed");
        HostSlots slots = HostSlots.forServer(SERVER, 1, tmp);
        Path dir = Files.createDirectories(slots.directory());
        Process holder = start(PY_HOLD, dir.toString(), "1");
        try {
            assertEquals("held", line(holder));
            CompletableFuture<Void> release = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(1000);
                    holder.getOutputStream().close(); // Python exits, and the kernel drops its lock
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long start = System.nanoTime();
            HostSlots.Held held = slots.acquire(Duration.ofSeconds(20));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            release.get(20, TimeUnit.SECONDS);
            assertEquals(0, held.index(), "the slot, not its timeout");
            assertTrue(waitedMs >= 900 && waitedMs < 10_000, "waited " + waitedMs + " ms");
            assertEquals("busy", python(PY_TRY, dir.toString()), "held by this JVM");
            held.close();
            assertEquals("free", python(PY_TRY, dir.toString()));
        } finally {
            holder.destroyForcibly();
            assertTrue(holder.waitFor(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aWaiterBehindAnotherProcessInTheQueueGoesWithoutAndTheLateGrantIsGivenBack(@TempDir Path tmp)
            throws Exception {
        Assumptions.assumeTrue(python3(), "python3 is needed");
        HostSlots slots = HostSlots.forServer(SERVER, 1, tmp);
        Path dir = Files.createDirectories(slots.directory());
        String queue = Rules.HOST_SLOTS_QUEUE_FILE;
        assertEquals("queue.lock", queue);
        // Python stands at the head of the host's queue (and no slot is taken at all)
        Process holder = start(PY_HOLD_FILE, dir.toString(), queue);
        try {
            assertEquals("held", line(holder));
            long start = System.nanoTime();
            assertEquals(-1, slots.acquire(Duration.ofMillis(500)).index(), "waits behind it in the queue");
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= 490 && waitedMs < 5000, "waited " + waitedMs + " ms");
            assertTrue(slots.enabled(), "a wait that ends is no failure");
            assertEquals("free", python(PY_TRY, dir.toString()), "no slot was taken");
            // Python leaves the queue: the kernel grants queue.lock to the abandoned wait still queued
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(20, TimeUnit.SECONDS));
        } finally {
            holder.destroyForcibly();
        }
        // ... which gives it back at once: another process queued for it gets it
        assertEquals("got", python(PY_WAIT, dir.toString(), queue));
        assertEquals("free", python(PY_TRY, dir.toString(), queue));
        HostSlots.Held again = slots.acquire(Duration.ofSeconds(5));
        assertEquals(0, again.index(), "the queue is neither kept nor still waited for");
        assertEquals("free", python(PY_TRY, dir.toString(), queue), "left the queue with its slot");
        again.close();
    }

    @Test
    void twoThreadsWaitingForTheOneSlotTakeItInTurn(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(python3(), "python3 is needed");
        HostSlots slots = HostSlots.forServer(SERVER, 1, tmp);
        Path dir = Files.createDirectories(slots.directory());
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Callable<Integer> writer = () -> {
            try (HostSlots.Held held = slots.acquire(Duration.ofSeconds(20))) {
                if (held.index() >= 0) {
                    most.accumulateAndGet(holders.incrementAndGet(), Math::max);
                    Thread.sleep(300);
                    holders.decrementAndGet(); // before close: an overlap would count 2
                }
                return held.index();
            }
        };
        Process holder = start(PY_HOLD, dir.toString(), "1");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            assertEquals("held", line(holder));
            Future<Integer> a = pool.submit(writer);
            Future<Integer> b = pool.submit(writer);
            Thread.sleep(500);
            assertFalse(a.isDone() || b.isDone(), "both wait while Python holds the slot");
            holder.getOutputStream().close();
            assertEquals(0, a.get(10, TimeUnit.SECONDS));
            assertEquals(0, b.get(10, TimeUnit.SECONDS));
            assertEquals(1, most.get(), "never two holders of one slot");
        } finally {
            pool.shutdownNow();
            holder.destroyForcibly();
            assertTrue(holder.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals("free", python(PY_TRY, dir.toString()));
    }

    @Test
    void theWriterAtTheHeadHoldsTheQueueUntilItHasASlot(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(python3(), "python3 is needed");
        HostSlots slots = HostSlots.forServer(SERVER, 1, tmp);
        Path dir = Files.createDirectories(slots.directory());
        String queue = Rules.HOST_SLOTS_QUEUE_FILE;
        Process holder = start(PY_HOLD, dir.toString(), "1");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            assertEquals("held", line(holder));
            Future<HostSlots.Held> writer = pool.submit(() -> slots.acquire(Duration.ofSeconds(20)));
            Thread.sleep(300);
            assertFalse(writer.isDone(), "Python holds the only slot");
            assertEquals("busy", python(PY_TRY, dir.toString(), queue), "this JVM is at the head of the queue");
            holder.getOutputStream().close();
            HostSlots.Held held = writer.get(10, TimeUnit.SECONDS);
            assertEquals(0, held.index());
            assertEquals("free", python(PY_TRY, dir.toString(), queue), "it left the queue to the next writer");
            assertEquals("busy", python(PY_TRY, dir.toString()), "and keeps its slot");
            held.close();
            assertEquals("free", python(PY_TRY, dir.toString()));
        } finally {
            pool.shutdownNow();
            holder.destroyForcibly();
            assertTrue(holder.waitFor(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void theTransportTakesTheSlotsOfTheServerItSendsTo() {
        ClientConfig config = ClientConfig.builder().trackingUri("http://u:p@Example.com:8080/prefix").build();
        assertEquals(Rules.DEFAULT_BATCH_CONCURRENCY, config.batchConcurrency());
        assertEquals(14, config.hostWriteSlots());
        try (Transport transport = new Transport(config)) {
            Path dir = transport.writeLimit().hostSlots().directory();
            assertEquals("writes-e0ddde96f675ccf3", dir.getFileName().toString());
            assertEquals("mlflowrest-" + HostSlots.user(), dir.getParent().getFileName().toString());
        }
        try (Transport transport = new Transport(config.toBuilder().hostWriteSlots(0).build())) {
            assertNull(transport.writeLimit().hostSlots().directory());
        }
        assertEquals(3, ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", "http://h",
                "MLFLOWREST_HOST_WRITE_SLOTS", "3"), Path.of("/nonexistent")).hostWriteSlots());
        assertTrue(config.toString().contains("hostWriteSlots=14"));
    }

    private static String sha16(String s) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d).substring(0, 16);
    }

    private static boolean python3() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import fcntl").start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** Starts a Python script that talks on its stdout and stops when its stdin closes. */
    private static Process start(String script, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("python3", "-c", script));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The next line a started script says, waited for at most 20 s (unbuffered: more may follow). */
    private static String line(Process p) throws Exception {
        java.io.InputStream out = p.getInputStream();
        return CompletableFuture.supplyAsync(() -> {
            java.io.ByteArrayOutputStream said = new java.io.ByteArrayOutputStream();
            try {
                for (int b = out.read(); b >= 0 && b != '\n'; b = out.read()) {
                    said.write(b);
                }
            } catch (java.io.IOException e) {
                return e.toString();
            }
            return said.toString(StandardCharsets.UTF_8);
        }).get(20, TimeUnit.SECONDS);
    }

    /** Runs a short Python script and returns its first line, bounded. */
    private static String python(String script, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("python3", "-c", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "python3 finished");
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } finally {
            p.destroyForcibly();
        }
    }
}
