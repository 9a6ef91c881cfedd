package io.mlflowrest.internal.artifacts;

import io.mlflowrest.errors.InvalidParameterValueError;

/**
 * The tracking server's rule for artifact paths (mlflow.utils.uri.validate_path_is_safe):
 * relative, '/'-separated, no '..' segment, no '#', no backslash, no drive letter. Checked
 * for every file of a folder before the first byte goes up, so a bad name stores nothing.
 * (When the one-family rules data gains this rule, read it from there.)
 */
public final class ArtifactNames {
    static final String RULE = "a relative '/'-separated path without '..' segments, '#', '\\' or a drive letter";

    private ArtifactNames() {}

    /** Throws a typed error naming {@code field}, the path and the rule when the server would refuse it. */
    public static void check(String field, String path) {
        if (path == null || path.isEmpty()) {
            return;
        }
        String why = null;
        if (path.contains("#")) {
            why = "contains '#'";
        } else if (path.contains("\\")) {
            why = "contains a backslash";
        } else if (path.startsWith("/")) {
            why = "is absolute";
        } else if (path.length() >= 2 && path.charAt(1) == ':' && Character.isLetter(path.charAt(0))) {
            why = "starts with a drive letter";
        } else {
            for (String segment : path.split("/", -1)) {
                if (segment.equals("..")) {
                    why = "has a '..' segment";
                    break;
                }
            }
        }
        if (why != null) {
            throw InvalidParameterValueError.clientSide(field, RULE, "'" + path + "' " + why);
        }
    }
}
