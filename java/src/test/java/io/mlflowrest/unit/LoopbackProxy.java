package io.mlflowrest.unit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small HTTP proxy on 127.0.0.1 for tests: forwards absolute-form requests (plain http) and
 * tunnels CONNECT (https) to 127.0.0.1 only, recording each request head it sees. With
 * {@code authorization} set, a request without that Proxy-Authorization gets 407.
 */
final class LoopbackProxy implements AutoCloseable {
    /** A request head as the proxy received it: the request line and its header lines. */
    record Seen(String requestLine, List<String> headers) {
        String header(String name) {
            for (String h : headers) {
                if (h.toLowerCase().startsWith(name.toLowerCase() + ":")) {
                    return h.substring(name.length() + 1).trim();
                }
            }
            return null;
        }
    }

    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final String authorization;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    LoopbackProxy(String authorization) throws IOException {
        this.authorization = authorization;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.submit(() -> handle(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            client.setSoTimeout(10_000);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String requestLine = line(in);
            List<String> headers = new ArrayList<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                headers.add(h);
            }
            Seen request = new Seen(requestLine, headers);
            seen.add(request);
            if (authorization != null && !authorization.equals(request.header("Proxy-Authorization"))) {
                out.write(ascii("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n"
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n"));
                return;
            }
            String[] parts = requestLine.split(" ");
            if (parts[0].equals("CONNECT")) {
                try (Socket upstream = connect(parts[1])) {
                    out.write(ascii("HTTP/1.1 200 Connection established\r\n\r\n"));
                    out.flush();
                    pipe(client, upstream);
                }
                return;
            }
            // absolute-form http://host:port/path: sent on in origin-form, one exchange per connection
            String rest = parts[1].substring("http://".length());
            int slash = rest.indexOf('/');
            try (Socket upstream = connect(rest.substring(0, slash))) {
                StringBuilder head = new StringBuilder(parts[0] + " " + rest.substring(slash) + " " + parts[2] + "\r\n");
                for (String h : headers) {
                    if (!h.toLowerCase().startsWith("proxy-authorization:") && !h.toLowerCase().startsWith("connection:")) {
                        head.append(h).append("\r\n");
                    }
                }
                upstream.getOutputStream().write(ascii(head.append("Connection: close\r\n\r\n").toString()));
                pipe(client, upstream);
            }
        } catch (IOException e) {
            // a test's client went away: nothing to forward
        }
    }

    /** Only loopback: this proxy must never reach anything else. */
    private static Socket connect(String hostPort) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon);
        if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
            throw new IOException("the test proxy only reaches loopback, not " + host);
        }
        return new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Copies both ways until either side closes. */
    private void pipe(Socket client, Socket upstream) throws IOException {
        var back = threads.submit(() -> copy(upstream, client));
        copy(client, upstream);
        try {
            back.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            // the other direction ended on its own or timed out: the sockets close either way
        }
    }

    private static Void copy(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            // one side closed: the exchange is over
        }
        return null;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("closed mid-line");
            }
            if (c != '\r') {
                buf.write(c);
            }
        }
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
