package io.mlflowrest.internal.artifacts;

import io.mlflowrest.errors.TransportError;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Path joining, RFC 3986 encoding and the write-whole-or-nothing download every repository shares. */
public final class RepoPaths {
    private static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";

    private RepoPaths() {}

    /**
     * The size of a file about to be uploaded, read once to choose one PUT or a multipart upload.
     *
     * @param file the local file
     * @return its size in bytes
     * @throws UncheckedIOException when it cannot be read
     */
    public static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * Two '/'-separated paths joined, slashes at their ends trimmed.
     *
     * @param base the first part, or null
     * @param relative the second part, or null
     * @return the joined path, without leading or trailing slash
     */
    public static String join(String base, String relative) {
        String r = relative == null ? "" : trim(relative);
        String b = base == null ? "" : trim(base);
        return b.isEmpty() ? r : r.isEmpty() ? b : b + "/" + r;
    }

    /**
     * A URI (or absolute path) with a relative path below it; the URI's own leading part is kept.
     *
     * @param uri the URI or path
     * @param relative the path below it, or null
     * @return the joined URI
     */
    public static String joinUri(String uri, String relative) {
        String r = relative == null ? "" : trim(relative);
        String u = uri.endsWith("/") && !uri.endsWith(":/") && !uri.endsWith("://") ? uri.replaceAll("/+$", "") : uri;
        return r.isEmpty() ? u : u.endsWith("/") ? u + r : u + "/" + r;
    }

    /**
     * The path without leading and trailing slashes.
     *
     * @param path the path
     * @return the trimmed path
     */
    public static String trim(String path) {
        int start = 0;
        int end = path.length();
        while (start < end && path.charAt(start) == '/') {
            start++;
        }
        while (end > start && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(start, end);
    }

    /**
     * The last segment of a '/'-separated path.
     *
     * @param path the path
     * @return its last segment
     */
    public static String name(String path) {
        String t = trim(path);
        return t.substring(t.lastIndexOf('/') + 1);
    }

    /**
     * RFC 3986 percent-encoding of UTF-8 bytes; '/' kept when {@code keepSlash}.
     *
     * @param value the text
     * @param keepSlash whether '/' stays as it is
     * @return the encoded text
     */
    public static String encode(String value, boolean keepSlash) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (UNRESERVED.indexOf(c) >= 0 || keepSlash && c == '/') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /**
     * A failure leaves no partial file at {@code target}.
     *
     * @param in the download's body; closed here
     * @param target the file to write
     * @param method the request's method, for the error
     * @param shown the redacted URL, for the error
     * @throws io.mlflowrest.errors.TransportError when the body breaks off or the file cannot be written
     */
    public static void writeWhole(InputStream in, Path target, String method, String shown) {
        try {
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path partial = target.resolveSibling(target.getFileName() + ".part");
            try (InputStream body = in) {
                Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                Files.deleteIfExists(partial);
                throw new TransportError("download broke off: " + e, method, shown, e);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }
}
