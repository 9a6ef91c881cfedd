package io.mlflowrest.internal.artifacts;

import io.mlflowrest.errors.InvalidParameterValueError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * When a file goes up in parts, and how big they are: MLflow's
 * MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE (default 500 MiB) and
 * MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE (default 10 MiB), with parts grown so that no file needs
 * more than 10,000 (S3's and Azure's limit). Each part is streamed from disk.
 */
public record Parts(long threshold, long chunkSize) {
    static final int MAX_PARTS = 10_000;

    /**
     * @param env the environment
     * @return the threshold and part size, in bytes
     */
    public static Parts fromEnvironment(Map<String, String> env) {
        return new Parts(bytes(env, "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", 500L << 20),
                bytes(env, "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", 10L << 20));
    }

    /**
     * Whether a file of this size goes up in parts.
     *
     * @param size the file's size in bytes
     * @return true for parts
     */
    public boolean multipart(long size) {
        return size >= threshold && size > chunkSize;
    }

    /**
     * The (offset, length) of each part, in order.
     *
     * @param size the file's size in bytes
     * @return the parts
     */
    public List<long[]> split(long size) {
        long chunk = Math.max(chunkSize, (size + MAX_PARTS - 1) / MAX_PARTS);
        List<long[]> parts = new ArrayList<>();
        for (long offset = 0; offset < size; offset += chunk) {
            parts.add(new long[] {offset, Math.min(chunk, size - offset)});
        }
        return parts;
    }

    private static long bytes(Map<String, String> env, String name, long fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw InvalidParameterValueError.clientSide(name, "a positive number of bytes", "got '" + value + "'");
    }
}
