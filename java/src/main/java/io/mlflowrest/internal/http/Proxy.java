package io.mlflowrest.internal.http;

import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Rules;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The HTTP proxy a request to an origin goes through (openapi/family-rules.yaml, config.proxy):
 * the JVM's {@code https.proxyHost} / {@code http.proxyHost} properties first, as the JDK's own
 * clients obey them, else the {@code HTTPS_PROXY} / {@code HTTP_PROXY} variables MLflow's other
 * clients read; each with its own list of hosts reached directly.
 *
 * @param host the proxy's host
 * @param port the proxy's port
 * @param authorization the Proxy-Authorization header value, or null; never shown
 * @param source where the proxy came from (a property or variable name), for messages
 */
public record Proxy(String host, int port, String authorization, String source) {
    /** Java's default {@code http.nonProxyHosts}: loopback goes direct unless the property says otherwise. */
    private static final String JAVA_DEFAULT_NON_PROXY = "localhost|127.*|[::1]";

    /**
     * The proxy for {@code scheme://host}, or null to connect directly.
     *
     * @param scheme http or https
     * @param host the origin's host
     * @param properties the JVM's system properties
     * @param env the environment
     * @return the proxy, or null
     * @throws InvalidParameterValueError when a proxy setting is not a usable address, naming it
     */
    public static Proxy select(String scheme, String host, Map<?, ?> properties, Map<String, String> env) {
        String prefix = scheme.equals("https") ? "https." : "http.";
        String propertyHost = text(properties.get(prefix + "proxyHost"));
        if (propertyHost != null) {
            Object nonProxy = properties.get("http.nonProxyHosts");
            if (javaBypass(host, nonProxy == null ? JAVA_DEFAULT_NON_PROXY : nonProxy.toString())) {
                return null;
            }
            String port = text(properties.get(prefix + "proxyPort"));
            String user = text(properties.get(prefix + "proxyUser"));
            String password = text(properties.get(prefix + "proxyPassword"));
            int fallback = scheme.equals("https") ? 443 : 80; // the JDK's defaults for these properties
            return new Proxy(propertyHost, port == null ? fallback : number(port, prefix + "proxyPort"),
                    user == null ? null : basic(user, password == null ? "" : password), prefix + "proxyHost");
        }
        for (String name : Rules.PROXY_ENV.getOrDefault(scheme, java.util.List.of())) {
            String value = text(env.get(name));
            if (value != null) {
                return envBypass(host, env) ? null : parse(value, name);
            }
        }
        return null;
    }

    /** {@code http://user:pass@host:port}, or {@code host:port}, as the variables hold it. */
    static Proxy parse(String value, String name) {
        URI uri;
        try {
            uri = URI.create(value.contains("://") ? value : "http://" + value);
        } catch (IllegalArgumentException e) {
            throw InvalidParameterValueError.clientSide(name, "http://[user:password@]host:port",
                    name + " is not a proxy address");
        }
        if (uri.getHost() == null || !"http".equalsIgnoreCase(uri.getScheme())) {
            // never echo the value: it may carry the proxy's password
            throw InvalidParameterValueError.clientSide(name, "http://[user:password@]host:port",
                    name + " is not an http:// proxy address");
        }
        String auth = null;
        if (uri.getRawUserInfo() != null) {
            String[] userPassword = uri.getRawUserInfo().split(":", 2);
            auth = basic(decode(userPassword[0]), userPassword.length > 1 ? decode(userPassword[1]) : "");
        }
        return new Proxy(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 80, auth, name);
    }

    /** http.nonProxyHosts: patterns split by '|', each with '*' wildcards, case-insensitive. */
    static boolean javaBypass(String host, String patterns) {
        for (String pattern : patterns.split("\\|")) {
            String p = pattern.trim();
            if (p.isEmpty()) {
                continue;
            }
            String regex = ("\\Q" + p.toLowerCase(Locale.ROOT) + "\\E").replace("*", "\\E.*\\Q");
            String h = host.toLowerCase(Locale.ROOT);
            if (Pattern.matches(regex, h) || Pattern.matches(regex, "[" + h + "]")) {
                return true;
            }
        }
        return false;
    }

    /** NO_PROXY as requests and curl read it: comma-separated hosts or domain suffixes, "*" for all. */
    static boolean envBypass(String host, Map<String, String> env) {
        String list = null;
        for (String name : Rules.NO_PROXY_ENV) {
            list = list != null ? list : text(env.get(name));
        }
        if (list == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (String entry : list.split(",")) {
            String e = entry.trim().toLowerCase(Locale.ROOT).replaceFirst(":\\d+$", "");
            if (e.equals("*")) {
                return true;
            }
            e = e.startsWith(".") ? e.substring(1) : e;
            if (!e.isEmpty() && (h.equals(e) || h.endsWith("." + e))) {
                return true;
            }
        }
        return false;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String text(Object value) {
        return value == null || value.toString().isBlank() ? null : value.toString().trim();
    }

    private static int number(String value, String name) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw InvalidParameterValueError.clientSide(name, "a port number", name + "='" + value + "' is not a port");
        }
    }

    /** The request's target: absolute-form when forwarded through a proxy (RFC 9112 3.2.2). */
    String target(String scheme, String hostHeader, String path) {
        return scheme + "://" + hostHeader + path;
    }

    @Override
    public String toString() {
        return "Proxy{" + host + ":" + port + " from " + source + (authorization == null ? "" : ", credentials ***") + "}";
    }
}
