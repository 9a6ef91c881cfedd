package io.mlflowrest.internal.http;

import javax.net.ssl.SSLSocketFactory;

/** Where connections go: host, port, and for https the TLS factory and whether to check the name. */
public record Origin(String host, int port, SSLSocketFactory tls, boolean verifyHostname) {
    String hostHeader(boolean defaultPort) {
        String name = host.contains(":") ? "[" + host + "]" : host;
        return defaultPort ? name : name + ":" + port;
    }
}
