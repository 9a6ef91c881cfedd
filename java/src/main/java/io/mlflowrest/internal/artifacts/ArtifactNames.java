package io.mlflowrest.internal.artifacts;

import io.mlflowrest.errors.InvalidParameterValueError;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Artifact names every store accepts, the strictest store's limits (the same as Python's
 * _artifact_stores/_names.py): the proxied server refuses '#' and a '..' segment, also
 * percent-encoded (mlflow.utils.uri.validate_path_is_safe decodes first), and on Windows '\'
 * and drive letters; file systems a name over 255 bytes; S3 a key over 1024 bytes. Checked for
 * every file of a folder before the first byte goes up, so a bad name stores nothing.
 * (When family-rules.yaml gains this rule, read it from the generated Rules.)
 */
public final class ArtifactNames {
    static final int MAX_NAME_BYTES = 255;
    static final int MAX_PATH_BYTES = 1024;

    private ArtifactNames() {}

    /**
     * Throws a typed error naming {@code field}, the path and the limit when some store would refuse it.
     *
     * @param field the argument's name for the error
     * @param path the artifact path
     */
    public static void check(String field, String path) {
        if (path == null || path.isEmpty()) {
            return;
        }
        String decoded = path;
        for (String again = percentDecode(decoded); !again.equals(decoded); again = percentDecode(decoded)) {
            decoded = again;
        }
        String why = null;
        String limit = null;
        if (decoded.contains("#")) {
            why = "contains '#', which the server refuses";
            limit = "no '#'";
        } else if (decoded.contains("\\") || decoded.length() >= 2 && decoded.charAt(1) == ':' && Character.isLetter(decoded.charAt(0))) {
            why = "is not '/'-separated (a backslash or a drive letter)";
            limit = "no '\\'";
        } else if (decoded.startsWith("/")) {
            why = "is absolute";
            limit = "a relative path";
        } else if (java.util.Arrays.asList(decoded.split("/", -1)).contains("..")) {
            why = "has a '..' segment";
            limit = "no '..'";
        } else {
            for (String segment : path.split("/", -1)) {
                int bytes = segment.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > MAX_NAME_BYTES) {
                    why = "has a name of " + bytes + " bytes";
                    limit = "max_name_bytes=" + MAX_NAME_BYTES;
                }
            }
            int total = path.getBytes(StandardCharsets.UTF_8).length;
            if (why == null && total > MAX_PATH_BYTES) {
                why = "is " + total + " bytes long";
                limit = "max_path_bytes=" + MAX_PATH_BYTES;
            }
        }
        if (why != null) {
            throw InvalidParameterValueError.clientSide(field, limit, "'" + path + "' " + why);
        }
    }

    /** %XX sequences only ('+' stays), as the server's unquote does. */
    private static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int hi = i + 2 < bytes.length ? Character.digit(bytes[i + 1], 16) : -1;
            int lo = i + 2 < bytes.length ? Character.digit(bytes[i + 2], 16) : -1;
            if (bytes[i] == '%' && hi >= 0 && lo >= 0) {
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
