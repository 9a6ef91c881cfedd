package io.mlflowrest.internal.artifacts;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for header-signed requests (S3 and S3-compatible stores). A few
 * dozen lines instead of the AWS SDK (docs/design.md says why); checked against AWS's
 * published test suite in SigV4Test.
 */
public final class SigV4 {
    /** The payload hash that leaves the body unsigned (streamed uploads). */
    public static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
    /** The SHA-256 of an empty body, hex. */
    public static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private SigV4() {}

    /**
     * The Authorization header for a request whose {@code headers} (any case; must hold host
     * and x-amz-date) are all signed. {@code rawPath} is the path as sent (already encoded, as
     * S3 signs it: not encoded twice); {@code query} holds decoded names and values.
     *
     * @param method the HTTP method
     * @param rawPath the encoded path
     * @param query decoded query names and values
     * @param headers the headers to sign
     * @param payloadHash the body's SHA-256, hex, or UNSIGNED_PAYLOAD
     * @param credentials the access key, secret and session token
     * @param region e.g. us-east-1
     * @param service e.g. s3
     * @return the AWS4-HMAC-SHA256 Authorization header's value
     */
    public static String authorization(String method, String rawPath, Map<String, String> query,
                                       Map<String, String> headers, String payloadHash, AwsCredentials credentials,
                                       String region, String service) {
        SortedMap<String, String> canonicalHeaders = new TreeMap<>();
        headers.forEach((k, v) -> canonicalHeaders.put(k.toLowerCase(Locale.ROOT), v.strip().replaceAll(" +", " ")));
        String amzDate = canonicalHeaders.get("x-amz-date");
        String day = amzDate.substring(0, 8);
        String signedHeaders = String.join(";", canonicalHeaders.keySet());
        String request = canonicalRequest(method, rawPath, query, canonicalHeaders, signedHeaders, payloadHash);
        String scope = day + "/" + region + "/" + service + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(request));
        byte[] key = hmac(("AWS4" + credentials.secretKey()).getBytes(StandardCharsets.UTF_8), day);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        String signature = hex(hmac(key, toSign));
        return "AWS4-HMAC-SHA256 Credential=" + credentials.accessKey() + "/" + scope + ", SignedHeaders="
                + signedHeaders + ", Signature=" + signature;
    }

    static String canonicalRequest(String method, String rawPath, Map<String, String> query,
                                   SortedMap<String, String> headers, String signedHeaders, String payloadHash) {
        String headerLines = headers.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue() + "\n")
                .collect(Collectors.joining());
        return method + "\n" + (rawPath.isEmpty() ? "/" : rawPath) + "\n" + canonicalQuery(query) + "\n" + headerLines
                + "\n" + signedHeaders + "\n" + payloadHash;
    }

    /**
     * Sorted by encoded name, then value; also the query string the request sends, so both agree.
     *
     * @param query decoded names and values
     * @return the encoded query string
     */
    public static String canonicalQuery(Map<String, String> query) {
        SortedMap<String, String> encoded = new TreeMap<>();
        query.forEach((k, v) -> encoded.put(RepoPaths.encode(k, false), RepoPaths.encode(v == null ? "" : v, false)));
        return encoded.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("&"));
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
