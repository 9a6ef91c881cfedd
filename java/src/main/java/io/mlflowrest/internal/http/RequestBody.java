package io.mlflowrest.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A request body that can be written more than once, so a retry can resend it. */
public interface RequestBody {
    /** {@return the Content-Type header's value} */
    String contentType();

    /** {@return the body's size in bytes, sent as Content-Length} */
    long length();

    /**
     * Writes the whole body; called again for each retry.
     *
     * @param out the connection's stream
     * @throws IOException when the connection fails
     */
    void writeTo(OutputStream out) throws IOException;

    /**
     * A JSON body, UTF-8.
     *
     * @param json the JSON text
     * @return the body
     */
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

    /**
     * Streams the file from disk on every write: a multi-GB upload never sits in the heap.
     *
     * @param file the file to send
     * @return the body, sized now
     * @throws IOException when the file's size cannot be read
     */
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

    /**
     * {@code length} bytes of the file from {@code offset}, streamed: one part of a multipart upload.
     *
     * @param file the file
     * @param offset the first byte's position
     * @param length how many bytes
     * @return the body
     */
    static RequestBody fileRange(Path file, long offset, long length) {
        return new RequestBody() {
            public String contentType() {
                return "application/octet-stream";
            }

            public long length() {
                return length;
            }

            public void writeTo(OutputStream out) throws IOException {
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
                    channel.position(offset);
                    InputStream in = java.nio.channels.Channels.newInputStream(channel);
                    byte[] buf = new byte[64 * 1024];
                    long left = length;
                    while (left > 0) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) {
                            throw new IOException(file + " shrank while it was being uploaded");
                        }
                        out.write(buf, 0, n);
                        left -= n;
                    }
                }
            }
        };
    }

    /**
     * Bytes with a content type of their own (XML or JSON bodies of storage APIs).
     *
     * @param bytes the body
     * @param contentType its content type
     * @return the body
     */
    static RequestBody bytes(byte[] bytes, String contentType) {
        return new RequestBody() {
            public String contentType() {
                return contentType;
            }

            public long length() {
                return bytes.length;
            }

            public void writeTo(OutputStream out) throws IOException {
                out.write(bytes);
            }
        };
    }
}
