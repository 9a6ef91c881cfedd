package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.TransportError;
import io.mlflowrest.internal.http.Proxy;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP proxies as Java users configure them (system properties) and as MLflow's other clients do
 * (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), through a real proxy on 127.0.0.1: plain http forwarded,
 * https tunnelled with CONNECT to a loopback server with a self-signed certificate.
 */
class ProxyTest {
    private static final List<String> PROPERTIES = List.of("http.proxyHost", "http.proxyPort", "https.proxyHost",
            "https.proxyPort", "http.nonProxyHosts", "https.proxyUser", "https.proxyPassword");
    private static final String ANSWER = "{\"experiment\":{\"experiment_id\":\"1\",\"name\":\"through\"}}";

    @TempDir
    static Path dir;
    private static HttpsServer server;

    @BeforeAll
    static void start() throws Exception {
        server = selfSignedServer(dir);
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    @AfterEach
    void clearProperties() {
        PROPERTIES.forEach(System::clearProperty);
    }

    private static void useProxy(String scheme, LoopbackProxy proxy) {
        System.setProperty(scheme + ".proxyHost", "127.0.0.1");
        System.setProperty(scheme + ".proxyPort", String.valueOf(proxy.port()));
        System.setProperty("http.nonProxyHosts", ""); // Java's default would send loopback direct
    }

    @Test
    void plainHttpIsForwardedThroughTheHttpProxyProperty() throws Exception {
        try (StubServer stub = new StubServer(); LoopbackProxy proxy = new LoopbackProxy(null)) {
            stub.otherwise(r -> StubServer.Answer.json(200, ANSWER));
            useProxy("http", proxy);
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
                assertEquals("through", client.experiments().get("1").getName());
            }
            assertEquals("GET " + stub.url() + "/api/2.0/mlflow/experiments/get?experiment_id=1 HTTP/1.1",
                    proxy.seen.get(0).requestLine());
            assertEquals(1, stub.requests.size());
        }
    }

    @Test
    void withoutTheSettingNothingGoesThroughTheProxy() throws Exception {
        try (StubServer stub = new StubServer(); LoopbackProxy proxy = new LoopbackProxy(null)) {
            stub.otherwise(r -> StubServer.Answer.json(200, ANSWER));
            System.setProperty("http.proxyHost", "127.0.0.1");
            System.setProperty("http.proxyPort", String.valueOf(proxy.port()));
            // no http.nonProxyHosts: Java's default list sends loopback direct, so must this client
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
                assertEquals("through", client.experiments().get("1").getName());
            }
            assertEquals(List.of(), proxy.seen);
        }
    }

    @Test
    void httpsIsTunnelledWithConnect() throws Exception {
        int port = server.getAddress().getPort();
        try (LoopbackProxy proxy = new LoopbackProxy(null)) {
            useProxy("https", proxy);
            ClientConfig config = ClientConfig.builder().trackingUri("https://127.0.0.1:" + port)
                    .serverCertPath(dir.resolve("server.pem")).maxRetries(0).build();
            try (MlflowRestClient client = MlflowRestClient.create(config)) {
                assertEquals("through", client.experiments().get("1").getName());
            }
            assertEquals("CONNECT 127.0.0.1:" + port + " HTTP/1.1", proxy.seen.get(0).requestLine());
            assertEquals(1, proxy.seen.size(), "the request itself travels inside the tunnel, unseen: " + proxy.seen);
        }
    }

    @Test
    void proxyCredentialsAreSentAndNeverShown() throws Exception {
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret-pw".getBytes(StandardCharsets.UTF_8));
        try (LoopbackProxy proxy = new LoopbackProxy(expected)) {
            useProxy("https", proxy);
            System.setProperty("https.proxyUser", "alice");
            System.setProperty("https.proxyPassword", "s3cret-pw");
            ClientConfig config = ClientConfig.builder().trackingUri("https://127.0.0.1:" + server.getAddress().getPort())
                    .serverCertPath(dir.resolve("server.pem")).maxRetries(0).build();
            try (MlflowRestClient client = MlflowRestClient.create(config)) {
                assertEquals("through", client.experiments().get("1").getName());
                assertFalse(client.toString().contains("s3cret"), client.toString());
            }
            assertEquals(expected, proxy.seen.get(0).header("Proxy-Authorization"));

            System.setProperty("https.proxyPassword", "wrong-s3cret");
            try (MlflowRestClient client = MlflowRestClient.create(config)) {
                TransportError refused = assertThrows(TransportError.class, () -> client.experiments().get("1"));
                assertTrue(refused.getMessage().contains("407"), refused.getMessage());
                assertFalse(refused.getMessage().contains("s3cret"), refused.getMessage());
            }
        }
    }

    /** The family rule (openapi/family-rules.yaml, config.proxy), decided without sockets. */
    @Test
    void selectionFollowsTheFamilyRule() {
        Properties none = new Properties();
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://corp:3128", "https_proxy", "http://lower:3129",
                "HTTP_PROXY", "plain:8080", "NO_PROXY", "internal.example,.svc.local");
        Proxy https = Proxy.select("https", "mlflow.example.com", none, env);
        assertEquals("lower", https.host(), "the lower-case spelling wins, as in requests and curl");
        assertEquals(3129, https.port());
        assertEquals("plain", Proxy.select("http", "mlflow.example.com", none, env).host());
        assertNull(Proxy.select("https", "internal.example", none, env));
        assertNull(Proxy.select("https", "db.svc.local", none, env));
        assertNull(Proxy.select("https", "x", none, Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY", "*")));

        Properties java = new Properties();
        java.setProperty("https.proxyHost", "jvm");
        java.setProperty("https.proxyPort", "8443");
        assertEquals("jvm", Proxy.select("https", "mlflow.example.com", java, env).host(), "the JVM's properties come first");
        assertNull(Proxy.select("https", "127.0.0.1", java, env), "Java's default nonProxyHosts keeps loopback direct");
        java.setProperty("http.nonProxyHosts", "*.corp|mlflow.example.com");
        assertNull(Proxy.select("https", "a.corp", java, env));
        assertNull(Proxy.select("https", "mlflow.example.com", java, env));
        assertEquals("jvm", Proxy.select("https", "127.0.0.1", java, env).host());

        Proxy withSecret = Proxy.select("https", "h", none, Map.of("HTTPS_PROXY", "http://bob:pa%40ss@p:1"));
        assertEquals("Basic " + Base64.getEncoder().encodeToString("bob:pa@ss".getBytes(StandardCharsets.UTF_8)),
                withSecret.authorization());
        assertFalse(withSecret.toString().contains("pa@ss") || withSecret.toString().contains("pa%40ss"), withSecret.toString());
        InvalidParameterValueError bad = assertThrows(InvalidParameterValueError.class,
                () -> Proxy.select("https", "h", none, Map.of("HTTPS_PROXY", "socks5://bob:hunter2@p:1")));
        assertEquals("HTTPS_PROXY", bad.field());
        assertFalse(bad.getMessage().contains("hunter2"), bad.getMessage());
    }

    /** An https server on 127.0.0.1 with a certificate made by keytool; its PEM in dir/server.pem. */
    static HttpsServer selfSignedServer(Path dir) throws Exception {
        Path keystore = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "s", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", dir.resolve("server.pem").toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.createContext("/", exchange -> {
            byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static void keytool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
    }
}
