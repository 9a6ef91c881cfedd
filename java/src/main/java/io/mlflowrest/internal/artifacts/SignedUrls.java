package io.mlflowrest.internal.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PUT and GET on the signed URLs Databricks' credential API hands out
 * (ArtifactCredentialInfo: signed_uri, type, headers), each with the headers that came with it.
 */
final class SignedUrls {
    private final StoreHttp http;
    private final Parts parts;

    SignedUrls(StoreHttp http, Parts parts) {
        this.http = http;
        this.parts = parts;
    }

    static Map<String, String> headers(JsonNode credential) {
        Map<String, String> headers = new LinkedHashMap<>();
        credential.path("headers").forEach(h -> headers.put(h.path("name").asText(), h.path("value").asText()));
        return headers;
    }

    static URI uri(JsonNode credential) {
        return URI.create(credential.path("signed_uri").asText());
    }

    /** One PUT of the whole file (AWS and GCP signed URLs), or Azure's blob / ADLS protocol. */
    void put(JsonNode credential, Path file, long size) throws java.io.IOException {
        String type = credential.path("type").asText();
        Map<String, String> headers = headers(credential);
        switch (type) {
            case "AWS_PRESIGNED_URL", "GCP_SIGNED_URL" ->
                    http.discard("PUT", uri(credential), () -> headers, RequestBody.file(file));
            case "AZURE_SAS_URI" -> azureBlob(uri(credential), headers, file, size);
            case "AZURE_ADLS_GEN2_SAS_URI" -> adls(uri(credential), headers, file, size);
            default -> throw unsupported(type);
        }
    }

    void get(JsonNode credential, Path target) {
        String type = credential.path("type").asText();
        if (!type.equals("AWS_PRESIGNED_URL") && !type.equals("GCP_SIGNED_URL") && !type.startsWith("AZURE_")) {
            throw unsupported(type);
        }
        URI url = uri(credential);
        Map<String, String> headers = headers(credential);
        RawResponse response = http.send("GET", url, () -> headers, null);
        RepoPaths.writeWhole(response.body(), target, "GET", StoreHttp.redact(url));
    }

    private void azureBlob(URI url, Map<String, String> headers, Path file, long size) throws java.io.IOException {
        if (!parts.multipart(size)) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put("x-ms-blob-type", "BlockBlob");
            http.discard("PUT", url, () -> h, RequestBody.file(file));
            return;
        }
        StringBuilder list = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        int n = 0;
        for (long[] part : parts.split(size)) {
            String id = AzureBlobRepository.blockId(n++);
            http.discard("PUT", withQuery(url, "comp=block&blockid=" + RepoPaths.encode(id, false)), () -> headers,
                    RequestBody.fileRange(file, part[0], part[1]));
            list.append("<Latest>").append(id).append("</Latest>");
        }
        list.append("</BlockList>");
        http.discard("PUT", withQuery(url, "comp=blocklist"), () -> headers,
                RequestBody.bytes(list.toString().getBytes(StandardCharsets.UTF_8), "application/xml"));
    }

    /** ADLS Gen2: create the file, append the bytes part by part, flush at the end. */
    private void adls(URI url, Map<String, String> headers, Path file, long size) {
        http.discard("PUT", withQuery(url, "resource=file"), () -> headers, null);
        long position = 0;
        for (long[] part : parts.split(size)) {
            http.discard("PATCH", withQuery(url, "action=append&position=" + part[0]), () -> headers,
                    RequestBody.fileRange(file, part[0], part[1]));
            position = part[0] + part[1];
        }
        http.discard("PATCH", withQuery(url, "action=flush&position=" + position), () -> headers, null);
    }

    static URI withQuery(URI url, String extra) {
        String s = url.toString();
        return URI.create(s + (s.contains("?") ? "&" : "?") + extra);
    }

    private static MlflowError unsupported(String type) {
        return new MlflowError("Databricks handed out a credential of type '" + type
                + "'; mlflowrest supports AWS_PRESIGNED_URL, GCP_SIGNED_URL, AZURE_SAS_URI and AZURE_ADLS_GEN2_SAS_URI");
    }
}
