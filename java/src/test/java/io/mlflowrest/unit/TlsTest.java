package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.TransportError;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with a self-signed certificate made by keytool: refused by default, accepted when told. */
class TlsTest {
    private static final char[] PASS = "changeit".toCharArray();
    @TempDir
    static Path dir;
    private static HttpsServer server;
    private static Path certPem;

    @BeforeAll
    static void start() throws Exception {
        Path keystore = dir.resolve("server.p12");
        certPem = dir.resolve("server.pem");
        keytool("-genkeypair", "-alias", "s", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", certPem.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASS);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASS);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.createContext("/", exchange -> {
            byte[] body = "{\"experiment\":{\"experiment_id\":\"1\",\"name\":\"tls\"}}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    private static void keytool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
    }

    private static String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    private static String experimentName(ClientConfig config) {
        try (MlflowRestClient client = MlflowRestClient.create(config)) {
            return client.experiments().get("1").getName();
        }
    }

    @Test
    void untrustedCertificateIsATransportError() {
        ClientConfig config = ClientConfig.builder().trackingUri(url()).maxRetries(0).build();
        assertThrows(TransportError.class, () -> experimentName(config));
    }

    @Test
    void insecureTlsFromTheEnvironmentSkipsVerification() {
        ClientConfig config = ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", url(),
                "MLFLOW_TRACKING_INSECURE_TLS", "true"), dir);
        assertEquals("tls", experimentName(config));
    }

    @Test
    void serverCertPathTrustsThatCertificate() {
        ClientConfig config = ClientConfig.fromEnvironment(Map.of("MLFLOW_TRACKING_URI", url(),
                "MLFLOW_TRACKING_SERVER_CERT_PATH", certPem.toString()), dir);
        assertEquals("tls", experimentName(config));
    }

    /** S3 endpoints: the JVM's trust store by default, no check with MLFLOW_S3_IGNORE_TLS=true (any answer means TLS passed). */
    @Test
    void s3IgnoreTlsSkipsVerificationForTheStoreOnly() {
        java.util.function.Function<Map<String, String>, Exception> download = extra -> {
            Map<String, String> env = new java.util.HashMap<>(Map.of("MLFLOW_S3_ENDPOINT_URL", url(),
                    "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "secret"));
            env.putAll(extra);
            ClientConfig config = ClientConfig.builder().trackingUri("http://127.0.0.1:1").maxRetries(0).build();
            try (io.mlflowrest.internal.artifacts.ArtifactRepositories repos = new io.mlflowrest.internal.artifacts.ArtifactRepositories(
                    new io.mlflowrest.internal.Transport(config), config, env, dir)) {
                repos.forUri("s3://bucket/p").download("a.txt", dir.resolve("a.txt"));
                return null;
            } catch (Exception e) {
                return e;
            }
        };
        assertEquals(TransportError.class, download.apply(Map.of()).getClass());
        assertEquals(null, download.apply(Map.of("MLFLOW_S3_IGNORE_TLS", "true")));
    }
}
