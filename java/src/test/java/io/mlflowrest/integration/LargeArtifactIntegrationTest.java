package io.mlflowrest.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mlflowrest.ActiveRun;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.RunOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file of MLFLOWREST_LARGE_ARTIFACT_MB (make test-java: 1024 on S3 and through the
 * Databricks stand-in) up and down through the fluent run and the resource API, byte-identical,
 * with the JVM's peak heap and the process's peak RSS printed. The JVM runs with -Xmx256m
 * there, so a body held in memory fails; the heap bound below says how flat it must stay.
 */
class LargeArtifactIntegrationTest {
    private static final long HEAP_BOUND = 160L << 20;

    @Test
    void oneLargeFileUpAndDownWithFlatMemory(@TempDir Path tmp) throws Exception {
        String mb = System.getenv("MLFLOWREST_LARGE_ARTIFACT_MB");
        assumeTrue(mb != null, "MLFLOWREST_LARGE_ARTIFACT_MB is not set");
        long size = Long.parseLong(mb) << 20;
        Path file = tmp.resolve("large.bin");
        String written = writeFile(file, size);
        try (MlflowRestClient client = LiveServer.client()) {
            String exp = client.experiments().create(LiveServer.unique("large"));
            resetPeaks();
            String runId;
            try (ActiveRun run = client.startRun(RunOptions.inExperiment(exp))) {
                runId = run.getId();
                run.logArtifact(file, "big");
            }
            Path got = client.artifacts().download(runId, "big/large.bin", Files.createDirectories(tmp.resolve("out")));
            long heap = peakHeap();
            assertEquals(size, Files.size(got));
            assertEquals(written, sha256(got));
            System.out.printf("large artifact: %d MiB up and down via %s; peak heap %d MiB, peak RSS %s%n",
                    size >> 20, client.artifacts().runArtifactUri(runId).replaceFirst(":.*", ":"), heap >> 20, peakRss());
            assertTrue(heap < HEAP_BOUND, "peak heap " + (heap >> 20) + " MiB: a body was held in memory");
        }
    }

    /** Distinct 1 MiB blocks (a counter in each), so no store can deduplicate or compress them away. */
    private static String writeFile(Path file, long size) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[1 << 20];
        new Random(42).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0, n = 0; written < size; written += block.length, n++) {
                for (int i = 0; i < 8; i++) {
                    block[i] = (byte) (n >>> (8 * i));
                }
                int len = (int) Math.min(block.length, size - written);
                out.write(block, 0, len);
                digest.update(block, 0, len);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                digest.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void resetPeaks() {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static long peakHeap() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }

    private static String peakRss() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return "n/a";
        }
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("VmHWM:"))
                .map(l -> l.substring(6).strip()).findFirst().orElse("n/a");
    }
}
