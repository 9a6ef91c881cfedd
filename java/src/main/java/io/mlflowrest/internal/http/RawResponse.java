package io.mlflowrest.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A status, headers (names lower-cased) and a body stream that must be read or closed. */
public record RawResponse(int status, Map<String, List<String>> headers, InputStream body) implements AutoCloseable {
    /**
     * @param name the header's name, any case
     * @return its first value, or null
     */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /**
     * @return the whole body; the stream is closed
     * @throws IOException when the body breaks off
     */
    public byte[] readAll() throws IOException {
        try (InputStream in = body) {
            return in.readAllBytes();
        }
    }

    /**
     * @return the whole body as UTF-8 text; the stream is closed
     * @throws IOException when the body breaks off
     */
    public String readText() throws IOException {
        return new String(readAll(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
