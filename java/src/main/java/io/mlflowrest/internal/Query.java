package io.mlflowrest.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** An immutable, encoded query string; null values are left out. */
public final class Query {
    private final String encoded;

    private Query(String encoded) {
        this.encoded = encoded;
    }

    public static Query of() {
        return new Query("");
    }

    public Query with(String name, Object value) {
        if (value == null) {
            return this;
        }
        String pair = encode(name) + "=" + encode(String.valueOf(value));
        return new Query(encoded.isEmpty() ? pair : encoded + "&" + pair);
    }

    public Query withEach(String name, Iterable<?> values) {
        Query q = this;
        if (values != null) {
            for (Object v : values) {
                q = q.with(name, v);
            }
        }
        return q;
    }

    String suffix() {
        return encoded.isEmpty() ? "" : "?" + encoded;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
