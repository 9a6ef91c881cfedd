package io.mlflowrest.internal.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ConnectException;
import java.net.Socket;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import jdk.net.ExtendedSocketOptions;

/** One TCP (optionally TLS) connection to the server, kept alive between requests. */
final class HttpConnection implements Closeable {
    private final Socket tcp;
    private final Socket socket;
    final InputStream in;
    final OutputStream out;
    private long idleSinceNanos;

    private HttpConnection(Socket tcp, Socket socket) throws IOException {
        this.tcp = tcp;
        this.socket = socket;
        this.in = new BufferedInputStream(new QuickAckInputStream(socket.getInputStream()), 64 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    static HttpConnection open(Origin origin, Proxy proxy, int connectTimeoutMs, int readTimeoutMs) throws IOException {
        Socket tcp = new Socket();
        try {
            tcp.setTcpNoDelay(true);
            InetSocketAddress to = proxy == null ? new InetSocketAddress(origin.host(), origin.port())
                    : new InetSocketAddress(proxy.host(), proxy.port());
            tcp.connect(to, connectTimeoutMs);
            tcp.setSoTimeout(readTimeoutMs);
            if (origin.tls() == null) {
                return new HttpConnection(tcp, tcp);
            }
            if (proxy != null) {
                tunnel(tcp, origin, proxy);
            }
            SSLSocketFactory factory = origin.tls();
            SSLSocket ssl = (SSLSocket) factory.createSocket(tcp, origin.host(), origin.port(), true);
            if (origin.verifyHostname()) {
                SSLParameters params = ssl.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(params);
            }
            ssl.startHandshake();
            return new HttpConnection(tcp, ssl);
        } catch (IOException | RuntimeException e) {
            tcp.close();
            throw e;
        }
    }

    /**
     * Asks the proxy for a tunnel to the origin (CONNECT); TLS then runs end to end through it.
     * Read byte by byte: what follows the proxy's answer belongs to the TLS handshake.
     */
    private static void tunnel(Socket tcp, Origin origin, Proxy proxy) throws IOException {
        String authority = origin.hostHeader(false);
        StringBuilder head = new StringBuilder("CONNECT ").append(authority).append(" HTTP/1.1\r\nHost: ")
                .append(authority).append("\r\n");
        if (proxy.authorization() != null) {
            head.append("Proxy-Authorization: ").append(proxy.authorization()).append("\r\n");
        }
        OutputStream out = tcp.getOutputStream();
        out.write(HttpLines.ascii(head.append("\r\n").toString()));
        out.flush();
        InputStream in = tcp.getInputStream();
        String status = HttpLines.readLine(in);
        while (!HttpLines.readLine(in).isEmpty()) {
            // the proxy's headers say nothing the tunnel needs
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[1].equals("200")) {
            // the status line only: the request's credentials are not in it
            throw new ProxyRefusedException("proxy " + proxy.host() + ":" + proxy.port() + " (" + proxy.source()
                    + ") refused a tunnel to " + authority + ": " + status.substring(0, Math.min(80, status.length())));
        }
    }

    /**
     * The server leaves Nagle on and sends headers and body in two writes, so the body waits
     * for our ACK of the headers; Linux would delay that ACK up to 40 ms. TCP_QUICKACK makes
     * the ACK immediate, but Linux leaves quick-ack mode again as the connection runs, so it
     * is set after the request is sent and again after every read (setting it while an ACK is
     * pending sends that ACK at once).
     */
    void quickAck() {
        if (QuickAck.SUPPORTED) {
            try {
                tcp.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
            } catch (IOException | UnsupportedOperationException e) {
                // not fatal: the request still works, only the 40 ms stall may come back
            }
        }
    }

    void markIdle() {
        idleSinceNanos = System.nanoTime();
    }

    long idleNanos() {
        return System.nanoTime() - idleSinceNanos;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a broken socket has nothing left to report
        }
    }

    /** Re-arms quick-ack after each read from the socket. */
    private final class QuickAckInputStream extends FilterInputStream {
        QuickAckInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            quickAck();
            return n;
        }
    }

    /**
     * The proxy answered CONNECT with an error (407 without credentials, 403 for a host it
     * forbids): nothing reached the server, so the request may be retried like a refused connection.
     */
    static final class ProxyRefusedException extends ConnectException {
        private static final long serialVersionUID = 1L;

        ProxyRefusedException(String message) {
            super(message);
        }
    }

    /** Whether this JDK and OS offer TCP_QUICKACK (Linux does; macOS and Windows do not). */
    static final class QuickAck {
        static final boolean SUPPORTED = probe();

        private static boolean probe() {
            try (Socket s = new Socket()) {
                return s.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
            } catch (IOException | RuntimeException | LinkageError e) {
                return false;
            }
        }
    }
}
