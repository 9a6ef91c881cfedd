package io.mlflowrest.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A request body that can be written more than once, so a retry can resend it. */
public interface RequestBody {
    String contentType();

    long length();

    void writeTo(OutputStream out) throws IOException;

    static RequestBody json(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return new RequestBody() {
            public String contentType() {
                return "application/json";
            }

            public long length() {
                return bytes.length;
            }

            public void writeTo(OutputStream out) throws IOException {
                out.write(bytes);
            }
        };
    }

    /** Streams the file from disk on every write: a multi-GB upload never sits in the heap. */
    static RequestBody file(Path file) throws IOException {
        long size = Files.size(file);
        return new RequestBody() {
            public String contentType() {
                return "application/octet-stream";
            }

            public long length() {
                return size;
            }

            public void writeTo(OutputStream out) throws IOException {
                try (InputStream in = Files.newInputStream(file)) {
                    in.transferTo(out);
                }
            }
        };
    }
}
