package io.mlflowrest.internal.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** A Transfer-Encoding: chunked body, decoded as it is read. */
final class ChunkedInputStream extends InputStream {
    private final InputStream in;
    private final BodyEnd end;
    private long chunkLeft;
    private boolean done;
    private boolean finished;

    ChunkedInputStream(InputStream in, BodyEnd end) {
        this.in = in;
        this.end = end;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (done) {
            return -1;
        }
        if (chunkLeft == 0) {
            String size = HttpLines.readLine(in);
            int semi = size.indexOf(';');
            chunkLeft = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (chunkLeft == 0) {
                while (!HttpLines.readLine(in).isEmpty()) {
                    // trailers carry nothing this client uses
                }
                done = true;
                finish(true);
                return -1;
            }
        }
        int n = in.read(buf, off, (int) Math.min(len, chunkLeft));
        if (n < 0) {
            finish(false);
            throw new EOFException("connection closed inside a chunk");
        }
        chunkLeft -= n;
        if (chunkLeft == 0) {
            HttpLines.readLine(in);
        }
        return n;
    }

    @Override
    public void close() {
        finish(done);
    }

    private void finish(boolean complete) {
        if (!finished) {
            finished = true;
            end.ended(complete);
        }
    }
}
