package io.mlflowrest.internal;

import io.mlflowrest.ClientConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** The TLS socket factory for MLFLOW_TRACKING_INSECURE_TLS / _SERVER_CERT_PATH / _CLIENT_CERT_PATH. */
public final class TlsFactory {
    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private TlsFactory() {}

    static SSLSocketFactory create(ClientConfig config) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(config.clientCertPath() == null ? null : keyManagers(config).getKeyManagers(),
                    trustManagers(config), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /**
     * TLS to an object store: the JVM's trust store, or none at all when the user turned checking off.
     *
     * @param insecure true to skip certificate checks
     * @return the socket factory
     */
    public static SSLSocketFactory forStore(boolean insecure) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, insecure ? new TrustManager[] {new TrustEverything()} : null, null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static TrustManager[] trustManagers(ClientConfig config) throws GeneralSecurityException, IOException {
        if (config.insecureTls()) {
            return new TrustManager[] {new TrustEverything()};
        }
        if (config.serverCertPath() == null) {
            return null;
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate cert : readCertificates(config)) {
            store.setCertificateEntry("ca-" + i++, cert);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return tmf.getTrustManagers();
    }

    private static List<Certificate> readCertificates(ClientConfig config) throws GeneralSecurityException, IOException {
        try (InputStream in = Files.newInputStream(config.serverCertPath())) {
            return new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
        }
    }

    /** A PEM file holding the client certificate chain and its unencrypted PKCS#8 key. */
    private static KeyManagerFactory keyManagers(ClientConfig config) throws GeneralSecurityException, IOException {
        String pem = Files.readString(config.clientCertPath());
        Matcher key = PKCS8.matcher(pem);
        if (!key.find()) {
            throw new IllegalArgumentException("MLFLOW_TRACKING_CLIENT_CERT_PATH needs an unencrypted PKCS#8 key");
        }
        byte[] der = Base64.getMimeDecoder().decode(key.group(1));
        Certificate[] chain;
        try (InputStream in = Files.newInputStream(config.clientCertPath())) {
            chain = CertificateFactory.getInstance("X.509").generateCertificates(in).toArray(new Certificate[0]);
        }
        PrivateKey privateKey = KeyFactory.getInstance(chain[0].getPublicKey().getAlgorithm())
                .generatePrivate(new PKCS8EncodedKeySpec(der));
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setKeyEntry("client", privateKey, new char[0], chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, new char[0]);
        return kmf;
    }

    /** What MLFLOW_TRACKING_INSECURE_TLS asks for: no certificate checks at all. */
    private static final class TrustEverything implements X509TrustManager {
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
