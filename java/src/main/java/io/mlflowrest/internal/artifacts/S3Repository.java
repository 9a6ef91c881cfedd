package io.mlflowrest.internal.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.UnexpectedResponseError;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.mlflow.api.proto.Service.FileInfo;
import org.w3c.dom.Element;

/**
 * {@code s3://bucket/prefix}: S3 and S3-compatible stores, with MLflow's variables
 * (MLFLOW_S3_ENDPOINT_URL, MLFLOW_S3_IGNORE_TLS, MLFLOW_S3_UPLOAD_EXTRA_ARGS) and AWS's
 * credentials. A custom endpoint is addressed path-style (what MinIO and s3proxy serve);
 * AWS itself virtual-hosted. Large files go up as a multipart upload, part by part from disk.
 */
public final class S3Repository implements ArtifactRepository {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    // MLFLOW_S3_UPLOAD_EXTRA_ARGS uses boto3's argument names; these are the headers they become.
    private static final Map<String, String> EXTRA_ARG_HEADERS = Map.ofEntries(
            Map.entry("ACL", "x-amz-acl"),
            Map.entry("CacheControl", "Cache-Control"),
            Map.entry("ContentDisposition", "Content-Disposition"),
            Map.entry("ContentEncoding", "Content-Encoding"),
            Map.entry("ContentLanguage", "Content-Language"),
            Map.entry("ContentType", "Content-Type"),
            Map.entry("Expires", "Expires"),
            Map.entry("ServerSideEncryption", "x-amz-server-side-encryption"),
            Map.entry("SSEKMSKeyId", "x-amz-server-side-encryption-aws-kms-key-id"),
            Map.entry("StorageClass", "x-amz-storage-class"),
            Map.entry("Tagging", "x-amz-tagging"));

    private final String bucket;
    private final String prefix;
    private final URI endpoint;
    private final boolean pathStyle;
    private final AwsCredentials credentials;
    private final Map<String, String> uploadHeaders;
    private final Parts parts;
    private final StoreHttp http;

    /**
     * @param uri an {@code s3://bucket/prefix} URI
     * @param env MLflow's S3 variables
     * @param credentials the AWS credentials
     * @param http sends the requests
     */
    public S3Repository(URI uri, Map<String, String> env, AwsCredentials credentials, StoreHttp http) {
        this.bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw InvalidParameterValueError.clientSide("artifact_uri", "s3://<bucket>/<path>", "no bucket in " + uri);
        }
        this.prefix = RepoPaths.trim(uri.getPath() == null ? "" : uri.getPath());
        this.credentials = credentials;
        String custom = env.get("MLFLOW_S3_ENDPOINT_URL");
        if (AwsCredentials.isSet(custom)) {
            this.endpoint = URI.create(RepoPaths.trim(custom.strip()).replaceFirst(":/$", "://"));
            this.pathStyle = true;
        } else {
            boolean dotted = bucket.contains(".");
            this.endpoint = URI.create("https://" + (dotted ? "" : bucket + ".") + "s3." + credentials.region() + ".amazonaws.com");
            this.pathStyle = dotted;
        }
        this.uploadHeaders = extraArgs(env.get("MLFLOW_S3_UPLOAD_EXTRA_ARGS"));
        this.parts = Parts.fromEnvironment(env);
        this.http = http;
    }

    /**
     * The endpoint requests go to, and whether the bucket is in the path (tests and errors show it).
     *
     * @return the endpoint
     */
    public URI endpoint() {
        return endpoint;
    }

    /** {@return true when the bucket is in the path, false when in the host name} */
    public boolean pathStyle() {
        return pathStyle;
    }

    @Override
    public void upload(Path file, String path) {
        String key = RepoPaths.join(prefix, path);
        long size = RepoPaths.size(file);
        if (!parts.multipart(size)) {
            try {
                http.discard("PUT", url(key, Map.of()), signer("PUT", key, Map.of(), uploadHeaders), RequestBody.file(file));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            return;
        }
        multipartUpload(file, key, size);
    }

    private void multipartUpload(Path file, String key, long size) {
        Map<String, String> create = Map.of("uploads", "");
        String answer = http.text("POST", url(key, create), signer("POST", key, create, uploadHeaders), null);
        String uploadId = Xml.child(Xml.parse(answer, "POST", key), "UploadId");
        try {
            StringBuilder complete = new StringBuilder("<CompleteMultipartUpload>");
            int number = 1;
            for (long[] part : parts.split(size)) {
                Map<String, String> q = Map.of("partNumber", Integer.toString(number), "uploadId", uploadId);
                RawResponse put = http.discard("PUT", url(key, q), signer("PUT", key, q, Map.of()),
                        RequestBody.fileRange(file, part[0], part[1]));
                complete.append("<Part><PartNumber>").append(number).append("</PartNumber><ETag>")
                        .append(escape(put.header("etag"))).append("</ETag></Part>");
                number++;
            }
            complete.append("</CompleteMultipartUpload>");
            Map<String, String> q = Map.of("uploadId", uploadId);
            String done = http.text("POST", url(key, q), signer("POST", key, q, Map.of()),
                    RequestBody.bytes(complete.toString().getBytes(StandardCharsets.UTF_8), "application/xml"));
            // S3 may answer 200 with an <Error> body when completing fails late
            if (done.contains("<Error>")) {
                throw new MlflowError("S3 could not complete the upload of " + key + ": " + done.strip());
            }
        } catch (RuntimeException e) {
            Map<String, String> q = Map.of("uploadId", uploadId);
            try {
                http.discard("DELETE", url(key, q), signer("DELETE", key, q, Map.of()), null);
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    @Override
    public List<FileInfo> list(String dir) {
        String keyPrefix = RepoPaths.join(prefix, dir);
        keyPrefix = keyPrefix.isEmpty() ? "" : keyPrefix + "/";
        List<FileInfo> entries = new ArrayList<>();
        String token = null;
        do {
            Map<String, String> q = new TreeMap<>(Map.of("list-type", "2", "prefix", keyPrefix, "delimiter", "/"));
            if (token != null) {
                q.put("continuation-token", token);
            }
            Element result = Xml.parse(http.text("GET", bucketUrl(q), signer("GET", null, q, Map.of()), null), "GET", bucket);
            for (Element c : Xml.all(result, "Contents")) {
                String name = Xml.child(c, "Key").substring(keyPrefix.length());
                if (!name.isEmpty()) {
                    entries.add(FileInfo.newBuilder().setPath(RepoPaths.join(dir, name)).setIsDir(false)
                            .setFileSize(Long.parseLong(Xml.child(c, "Size"))).build());
                }
            }
            for (Element p : Xml.all(result, "CommonPrefixes")) {
                String name = RepoPaths.trim(Xml.child(p, "Prefix").substring(keyPrefix.length()));
                entries.add(FileInfo.newBuilder().setPath(RepoPaths.join(dir, name)).setIsDir(true).build());
            }
            token = "true".equals(Xml.child(result, "IsTruncated")) ? Xml.child(result, "NextContinuationToken") : null;
        } while (token != null);
        return entries;
    }

    @Override
    public void download(String path, Path target) {
        String key = RepoPaths.join(prefix, path);
        URI url = url(key, Map.of());
        RawResponse response = http.send("GET", url, signer("GET", key, Map.of(), Map.of()), null);
        RepoPaths.writeWhole(response.body(), target, "GET", StoreHttp.redact(url));
    }

    @Override
    public void delete(String path) {
        String key = RepoPaths.join(prefix, path);
        List<String> keys = new ArrayList<>();
        collectKeys(path, keys);
        if (keys.isEmpty()) {
            keys.add(key);
        }
        for (String k : keys) {
            http.discard("DELETE", url(k, Map.of()), signer("DELETE", k, Map.of(), Map.of()), null);
        }
    }

    private void collectKeys(String dir, List<String> keys) {
        for (FileInfo entry : list(dir)) {
            if (entry.getIsDir()) {
                collectKeys(entry.getPath(), keys);
            } else {
                keys.add(RepoPaths.join(prefix, entry.getPath()));
            }
        }
    }

    private String rawPath(String key) {
        String objectPath = key == null ? "" : "/" + RepoPaths.encode(key, true);
        String base = endpoint.getRawPath() == null ? "" : RepoPaths.trim(endpoint.getRawPath());
        String basePath = base.isEmpty() ? "" : "/" + base;
        return pathStyle ? basePath + "/" + bucket + objectPath : basePath + (objectPath.isEmpty() ? "/" : objectPath);
    }

    private URI url(String key, Map<String, String> query) {
        String q = SigV4.canonicalQuery(query);
        return URI.create(endpoint.getScheme() + "://" + endpoint.getRawAuthority() + rawPath(key) + (q.isEmpty() ? "" : "?" + q));
    }

    private URI bucketUrl(Map<String, String> query) {
        return url(null, query);
    }

    /** Headers for one attempt, signed at that moment. */
    private Supplier<Map<String, String>> signer(String method, String key, Map<String, String> query,
                                                Map<String, String> extra) {
        return () -> {
            Map<String, String> headers = new LinkedHashMap<>(extra);
            headers.put("x-amz-date", ZonedDateTime.now(ZoneOffset.UTC).format(AMZ_DATE));
            headers.put("x-amz-content-sha256", SigV4.UNSIGNED_PAYLOAD);
            if (credentials.sessionToken() != null) {
                headers.put("x-amz-security-token", credentials.sessionToken());
            }
            Map<String, String> signed = new LinkedHashMap<>(headers);
            signed.put("host", endpoint.getPort() > 0 ? endpoint.getHost() + ":" + endpoint.getPort() : endpoint.getHost());
            headers.put("Authorization", SigV4.authorization(method, rawPath(key), query, signed,
                    SigV4.UNSIGNED_PAYLOAD, credentials, credentials.region(), "s3"));
            return headers;
        };
    }

    private static Map<String, String> extraArgs(String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        JsonNode parsed = Json.tryParse(json);
        if (parsed == null || !parsed.isObject()) {
            throw InvalidParameterValueError.clientSide("MLFLOW_S3_UPLOAD_EXTRA_ARGS", "a JSON object", "got " + json);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        parsed.fields().forEachRemaining(e -> {
            String header = EXTRA_ARG_HEADERS.get(e.getKey());
            if (header == null) {
                throw InvalidParameterValueError.clientSide("MLFLOW_S3_UPLOAD_EXTRA_ARGS", "one of " + new TreeMap<>(EXTRA_ARG_HEADERS).keySet(),
                        "unsupported argument '" + e.getKey() + "'");
            }
            headers.put(header, e.getValue().asText());
        });
        return Map.copyOf(headers);
    }

    private static String escape(String etag) {
        if (etag == null) {
            throw new UnexpectedResponseError("S3 answered an uploaded part without an ETag", 200, null, "PUT", "part");
        }
        return etag.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;");
    }

    @Override
    public String toString() {
        return "S3Repository{s3://" + bucket + "/" + prefix + " via " + endpoint + "}";
    }
}
