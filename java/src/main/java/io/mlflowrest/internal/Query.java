package io.mlflowrest.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** An immutable, encoded query string; null values are left out. */
public final class Query {
    private final String encoded;

    private Query(String encoded) {
        this.encoded = encoded;
    }

    /** {@return an empty query} */
    public static Query of() {
        return new Query("");
    }

    /**
     * @param name the parameter's name
     * @param value its value; null leaves the query as it is
     * @return a copy with the parameter added
     */
    public Query with(String name, Object value) {
        if (value == null) {
            return this;
        }
        String pair = encode(name) + "=" + encode(String.valueOf(value));
        return new Query(encoded.isEmpty() ? pair : encoded + "&" + pair);
    }

    /**
     * @param name the parameter's name
     * @param values one parameter per value, repeated
     * @return a copy with them added
     */
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
