package io.mlflowrest.internal.artifacts;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Azure Storage's Shared Key authorization (the Blob service's string-to-sign, version
 * 2015-02-21 and later), so {@code wasbs://} needs no Azure SDK. Checked against Azurite in
 * the integration tests and against the documented layout in SharedKeyTest.
 */
public final class SharedKey {
    private SharedKey() {}

    /**
     * The string the key signs. {@code headers} are those sent (any case); content length 0
     * signs as empty, as the service expects.
     *
     * @param method the HTTP method
     * @param account the storage account
     * @param url the request's URL
     * @param headers the headers sent
     * @return the string to sign
     */
    public static String stringToSign(String method, String account, URI url, Map<String, String> headers) {
        Map<String, String> h = new TreeMap<>();
        headers.forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), v));
        String length = h.getOrDefault("content-length", "");
        StringBuilder s = new StringBuilder();
        s.append(method).append('\n');
        for (String name : new String[] {"content-encoding", "content-language"}) {
            s.append(h.getOrDefault(name, "")).append('\n');
        }
        s.append(length.equals("0") ? "" : length).append('\n');
        for (String name : new String[] {"content-md5", "content-type", "date", "if-modified-since", "if-match",
                "if-none-match", "if-unmodified-since", "range"}) {
            s.append(h.getOrDefault(name, "")).append('\n');
        }
        h.forEach((k, v) -> {
            if (k.startsWith("x-ms-")) {
                s.append(k).append(':').append(v.strip()).append('\n');
            }
        });
        s.append('/').append(account).append(url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath());
        query(url).forEach((k, v) -> s.append('\n').append(k).append(':').append(v));
        return s.toString();
    }

    /**
     * {@code SharedKey <account>:<signature>}.
     *
     * @param method the HTTP method
     * @param account the storage account
     * @param base64Key the account key, base64
     * @param url the request's URL
     * @param headers the headers sent
     * @return the Authorization header's value
     */
    public static String authorization(String method, String account, String base64Key, URI url,
                                       Map<String, String> headers) {
        byte[] key = Base64.getDecoder().decode(base64Key);
        byte[] mac = SigV4.hmac(key, stringToSign(method, account, url, headers));
        return "SharedKey " + account + ":" + Base64.getEncoder().encodeToString(mac);
    }

    /** Query names lower-cased and sorted, values decoded; repeated names joined by commas. */
    private static Map<String, String> query(URI url) {
        Map<String, String> out = new TreeMap<>();
        if (url.getRawQuery() == null || url.getRawQuery().isEmpty()) {
            return out;
        }
        for (String pair : url.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(Locale.ROOT);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            out.merge(name, value, (a, b) -> a + "," + b);
        }
        return out.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> String.join(",", new java.util.TreeSet<>(java.util.List.of(e.getValue().split(",", -1)))),
                (a, b) -> a, TreeMap::new));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
