package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mlflowrest.internal.artifacts.SharedKey;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Azure Shared Key: the string-to-sign in the documented layout, and signatures equal to what
 * Microsoft's azure-storage-blob 12.31.1 (SharedKeyCredentialPolicy) computes for the same
 * account, key, URL and headers.
 */
class SharedKeyTest {
    private static final String KEY = "bWxmbG93cmVzdC1zaGFyZWQta2V5LXRlc3QtMDEyMzQ1Njc4OQ==";
    private static final String DATE = "Tue, 01 Dec 2026 10:00:00 GMT";

    private static Map<String, String> headers(String... pairs) {
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            h.put(pairs[i], pairs[i + 1]);
        }
        return h;
    }

    @Test
    void putBlockStringToSign() {
        URI url = URI.create("https://myaccount.blob.core.windows.net/mlflow/artifacts/run%201/model/MLmodel?comp=block&blockid=YmxvY2stMDAwMDAwMDA%3D");
        Map<String, String> h = headers("x-ms-date", DATE, "x-ms-version", "2021-12-02",
                "Content-Type", "application/octet-stream", "Content-Length", "11");
        assertEquals("PUT\n\n\n11\n\napplication/octet-stream\n\n\n\n\n\n\nx-ms-date:" + DATE + "\nx-ms-version:2021-12-02\n"
                + "/myaccount/mlflow/artifacts/run%201/model/MLmodel\nblockid:YmxvY2stMDAwMDAwMDA=\ncomp:block",
                SharedKey.stringToSign("PUT", "myaccount", url, h));
        assertEquals("SharedKey myaccount:ETSPDpIzl2amAIhOP9TCSPVmESRg0hk9laZqRhzzrDY=",
                SharedKey.authorization("PUT", "myaccount", KEY, url, h));
    }

    @Test
    void listBlobsSignature() {
        URI url = URI.create("https://myaccount.blob.core.windows.net/mlflow?restype=container&comp=list&prefix=artifacts%2F&delimiter=%2F");
        assertEquals("SharedKey myaccount:2QzNsj4dFXHZ8oH/Sm6A65GBNWnjRv3XEmx/yuemuL0=",
                SharedKey.authorization("GET", "myaccount", KEY, url, headers("x-ms-date", DATE, "x-ms-version", "2021-12-02")));
    }

    @Test
    void zeroLengthSignsAsEmpty() {
        URI url = URI.create("https://a.blob.core.windows.net/c/b");
        String s = SharedKey.stringToSign("PUT", "a", url, headers("Content-Length", "0", "x-ms-date", DATE));
        assertEquals("PUT\n\n\n\n", s.substring(0, 7));
    }
}
