package io.mlflowrest.internal.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** A Content-Length body: reads exactly {@code remaining} bytes, then calls back once. */
final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private final BodyEnd end;
    private long remaining;
    private boolean finished;

    BoundedInputStream(InputStream in, long length, BodyEnd end) {
        this.in = in;
        this.remaining = length;
        this.end = end;
        if (length == 0) {
            finish(true);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (remaining == 0) {
            finish(true);
            return -1;
        }
        int n = in.read(buf, off, (int) Math.min(len, remaining));
        if (n < 0) {
            finish(false);
            throw new EOFException("connection closed with " + remaining + " body bytes unread");
        }
        remaining -= n;
        if (remaining == 0) {
            finish(true);
        }
        return n;
    }

    @Override
    public void close() {
        finish(remaining == 0);
    }

    private void finish(boolean complete) {
        if (!finished) {
            finished = true;
            end.ended(complete);
        }
    }
}
