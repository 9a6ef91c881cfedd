package io.mlflowrest.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Percent-encoding for values put into URL paths. */
public final class PathSegments {
    private PathSegments() {}

    /**
     * One segment: '/' is encoded too.
     *
     * @param segment the value
     * @return it percent-encoded
     */
    public static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * A relative path: each segment encoded, the '/' between them kept.
     *
     * @param path the path
     * @return it percent-encoded, slashes kept
     */
    public static String encodePath(String path) {
        return Arrays.stream(path.split("/", -1)).map(PathSegments::encode).collect(Collectors.joining("/"));
    }
}
