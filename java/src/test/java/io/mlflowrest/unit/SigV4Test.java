package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mlflowrest.internal.artifacts.AwsCredentials;
import io.mlflowrest.internal.artifacts.SigV4;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The signer against AWS's published vectors: the Signature Version 4 test suite (service
 * "service", 2015-08-30) and the S3 examples of the S3 API reference (2013-05-24).
 */
class SigV4Test {
    private static final AwsCredentials SUITE = new AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null, "us-east-1");
    private static final AwsCredentials S3_DOCS = new AwsCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", null, "us-east-1");
    private static final String SUITE_SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

    private static Map<String, String> headers(String... pairs) {
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            h.put(pairs[i], pairs[i + 1]);
        }
        return h;
    }

    private static String suite(String method, Map<String, String> query, Map<String, String> extra) {
        Map<String, String> h = headers("Host", "example.amazonaws.com", "X-Amz-Date", "20150830T123600Z");
        h.putAll(extra);
        return SigV4.authorization(method, "/", query, h, SigV4.EMPTY_SHA256, SUITE, "us-east-1", "service");
    }

    @Test
    void getVanilla() {
        assertEquals(SUITE_SCOPE + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
                suite("GET", Map.of(), Map.of()));
    }

    @Test
    void postVanilla() {
        assertEquals(SUITE_SCOPE + "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
                suite("POST", Map.of(), Map.of()));
    }

    @Test
    void queryIsSortedByName() {
        assertEquals(SUITE_SCOPE + "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
                suite("GET", headers("Param2", "value2", "Param1", "value1"), Map.of()));
    }

    @Test
    void headerNamesAreLowerCasedAndSigned() {
        assertEquals(SUITE_SCOPE + "SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
                suite("POST", Map.of(), headers("My-Header1", "VALUE1")));
    }

    @Test
    void s3GetObjectWithRange() {
        String auth = SigV4.authorization("GET", "/test.txt", Map.of(),
                headers("Host", "examplebucket.s3.amazonaws.com", "Range", "bytes=0-9",
                        "x-amz-content-sha256", SigV4.EMPTY_SHA256, "x-amz-date", "20130524T000000Z"),
                SigV4.EMPTY_SHA256, S3_DOCS, "us-east-1", "s3");
        assertEquals("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", auth);
    }

    @Test
    void s3ListObjectsQuery() {
        String auth = SigV4.authorization("GET", "/", headers("max-keys", "2", "prefix", "J"),
                headers("Host", "examplebucket.s3.amazonaws.com", "x-amz-content-sha256", SigV4.EMPTY_SHA256,
                        "x-amz-date", "20130524T000000Z"),
                SigV4.EMPTY_SHA256, S3_DOCS, "us-east-1", "s3");
        assertEquals("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                + "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", auth);
    }

    @Test
    void queryValuesAreEncodedAsS3Expects() {
        assertEquals("delimiter=%2F&list-type=2&prefix=a%20b%2F%C3%BC%2F", SigV4.canonicalQuery(
                headers("prefix", "a b/ü/", "list-type", "2", "delimiter", "/")));
    }

    @Test
    void credentialsNeverPrintTheirSecret() {
        AwsCredentials c = new AwsCredentials("AKID", "very-secret", "session-secret", "eu-west-1");
        assertEquals(false, c.toString().contains("very-secret") || c.toString().contains("session-secret"));
    }
}
