package io.mlflowrest.internal.artifacts;

import io.mlflowrest.errors.InvalidParameterValueError;
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
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.mlflow.api.proto.Service.FileInfo;
import org.w3c.dom.Element;

/**
 * {@code wasbs://container@account.blob.core.windows.net/path} (and {@code abfss://}, whose
 * accounts also serve the Blob API): Azure Blob Storage with AZURE_STORAGE_CONNECTION_STRING
 * (account key or SAS; BlobEndpoint for Azurite) or AZURE_STORAGE_ACCESS_KEY. Large files go
 * up as blocks, each streamed from disk, then committed by a block list.
 */
public final class AzureBlobRepository implements ArtifactRepository {
    static final String VERSION = "2021-12-02";
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    private final String account;
    private final String key;
    private final String sas;
    private final URI containerUrl;
    private final String prefix;
    private final Parts parts;
    private final StoreHttp http;

    /**
     * @param uri a {@code wasbs://} or {@code abfss://} URI
     * @param env the environment holding the credentials
     * @param http sends the requests
     */
    public AzureBlobRepository(URI uri, Map<String, String> env, StoreHttp http) {
        String user = uri.getUserInfo();
        String host = uri.getHost();
        if (user == null || host == null || !host.contains(".")) {
            throw InvalidParameterValueError.clientSide("artifact_uri", uri.getScheme() + "://<container>@<account>.blob.core.windows.net/<path>",
                    "cannot read container and account from " + uri);
        }
        String container = user;
        String uriAccount = host.substring(0, host.indexOf('.'));
        Map<String, String> conn = connectionString(env.get("AZURE_STORAGE_CONNECTION_STRING"));
        String endpoint;
        if (!conn.isEmpty()) {
            this.account = conn.getOrDefault("AccountName", uriAccount);
            this.key = conn.get("AccountKey");
            this.sas = conn.containsKey("SharedAccessSignature") ? conn.get("SharedAccessSignature").replaceFirst("^\\?", "") : null;
            endpoint = conn.containsKey("BlobEndpoint") ? RepoPaths.trim(conn.get("BlobEndpoint")).replaceFirst(":/$", "://")
                    : conn.getOrDefault("DefaultEndpointsProtocol", "https") + "://" + account + ".blob."
                    + conn.getOrDefault("EndpointSuffix", "core.windows.net");
        } else if (AwsCredentials.isSet(env.get("AZURE_STORAGE_ACCESS_KEY"))) {
            this.account = uriAccount;
            this.key = env.get("AZURE_STORAGE_ACCESS_KEY").strip();
            this.sas = null;
            endpoint = "https://" + uriAccount + ".blob." + host.substring(host.indexOf('.') + 1).replaceFirst("^(blob|dfs)\\.", "");
        } else {
            throw InvalidParameterValueError.clientSide("AZURE_STORAGE_CONNECTION_STRING",
                    "AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY for " + uri.getScheme() + ":// artifacts",
                    "no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY");
        }
        if (key == null && sas == null) {
            throw InvalidParameterValueError.clientSide("AZURE_STORAGE_CONNECTION_STRING", "AccountKey or SharedAccessSignature",
                    "the connection string has neither an AccountKey nor a SharedAccessSignature");
        }
        this.containerUrl = URI.create(endpoint + "/" + RepoPaths.encode(container, false));
        this.prefix = RepoPaths.trim(uri.getPath() == null ? "" : uri.getPath());
        this.parts = Parts.fromEnvironment(env);
        this.http = http;
    }

    /**
     * Where the container's requests go (tests check it).
     *
     * @return the container's URL
     */
    public URI containerUrl() {
        return containerUrl;
    }

    @Override
    public void upload(Path file, String path) {
        String blob = RepoPaths.join(prefix, path);
        long size = RepoPaths.size(file);
        if (!parts.multipart(size)) {
            try {
                RequestBody body = RequestBody.file(file);
                http.discard("PUT", url(blob, Map.of()), signer("PUT", blob, Map.of(), body, Map.of("x-ms-blob-type", "BlockBlob")), body);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            return;
        }
        StringBuilder list = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        int n = 0;
        for (long[] part : parts.split(size)) {
            String id = blockId(n++);
            Map<String, String> q = new LinkedHashMap<>();
            q.put("comp", "block");
            q.put("blockid", id);
            RequestBody body = RequestBody.fileRange(file, part[0], part[1]);
            http.discard("PUT", url(blob, q), signer("PUT", blob, q, body, Map.of()), body);
            list.append("<Latest>").append(id).append("</Latest>");
        }
        list.append("</BlockList>");
        RequestBody body = RequestBody.bytes(list.toString().getBytes(StandardCharsets.UTF_8), "application/xml");
        Map<String, String> q = Map.of("comp", "blocklist");
        http.discard("PUT", url(blob, q), signer("PUT", blob, q, body, Map.of()), body);
    }

    /** Block ids of one blob must all have the same length. */
    static String blockId(int n) {
        return Base64.getEncoder().encodeToString(String.format(Locale.ROOT, "block-%08d", n).getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public List<FileInfo> list(String dir) {
        String blobPrefix = RepoPaths.join(prefix, dir);
        blobPrefix = blobPrefix.isEmpty() ? "" : blobPrefix + "/";
        List<FileInfo> entries = new ArrayList<>();
        String marker = null;
        do {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("restype", "container");
            q.put("comp", "list");
            q.put("prefix", blobPrefix);
            q.put("delimiter", "/");
            if (marker != null) {
                q.put("marker", marker);
            }
            Element result = Xml.parse(http.text("GET", url(null, q), signer("GET", null, q, null, Map.of()), null), "GET", "list");
            for (Element blob : Xml.all(result, "Blob")) {
                String name = Xml.child(blob, "Name").substring(blobPrefix.length());
                Element props = Xml.all(blob, "Properties").get(0);
                entries.add(FileInfo.newBuilder().setPath(RepoPaths.join(dir, name)).setIsDir(false)
                        .setFileSize(Long.parseLong(Xml.child(props, "Content-Length"))).build());
            }
            for (Element p : Xml.all(result, "BlobPrefix")) {
                String name = RepoPaths.trim(Xml.child(p, "Name").substring(blobPrefix.length()));
                entries.add(FileInfo.newBuilder().setPath(RepoPaths.join(dir, name)).setIsDir(true).build());
            }
            String next = Xml.child(result, "NextMarker");
            marker = next == null || next.isEmpty() ? null : next;
        } while (marker != null);
        return entries;
    }

    @Override
    public void download(String path, Path target) {
        String blob = RepoPaths.join(prefix, path);
        URI url = url(blob, Map.of());
        RawResponse response = http.send("GET", url, signer("GET", blob, Map.of(), null, Map.of()), null);
        RepoPaths.writeWhole(response.body(), target, "GET", StoreHttp.redact(url));
    }

    @Override
    public void delete(String path) {
        List<String> blobs = new ArrayList<>();
        collect(path, blobs);
        if (blobs.isEmpty()) {
            blobs.add(RepoPaths.join(prefix, path));
        }
        for (String blob : blobs) {
            http.discard("DELETE", url(blob, Map.of()), signer("DELETE", blob, Map.of(), null, Map.of()), null);
        }
    }

    private void collect(String dir, List<String> blobs) {
        for (FileInfo entry : list(dir)) {
            if (entry.getIsDir()) {
                collect(entry.getPath(), blobs);
            } else {
                blobs.add(RepoPaths.join(prefix, entry.getPath()));
            }
        }
    }

    private URI url(String blob, Map<String, String> query) {
        StringBuilder q = new StringBuilder();
        query.forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=').append(RepoPaths.encode(v, false)));
        if (sas != null) {
            q.append(q.length() == 0 ? "" : "&").append(sas);
        }
        String path = blob == null ? "" : "/" + RepoPaths.encode(blob, true);
        return URI.create(containerUrl + path + (q.length() == 0 ? "" : "?" + q));
    }

    private Supplier<Map<String, String>> signer(String method, String blob, Map<String, String> query, RequestBody body,
                                                Map<String, String> extra) {
        return () -> {
            Map<String, String> headers = new LinkedHashMap<>(extra);
            headers.put("x-ms-date", HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)));
            headers.put("x-ms-version", VERSION);
            if (key != null && sas == null) {
                Map<String, String> signed = new HashMap<>(headers);
                if (body != null) {
                    signed.put("Content-Type", body.contentType());
                    signed.put("Content-Length", Long.toString(body.length()));
                }
                headers.put("Authorization", SharedKey.authorization(method, account, key, url(blob, query), signed));
            }
            return headers;
        };
    }

    /** {@code Name=value;...} pairs; values may hold '=' (keys, SAS tokens). */
    static Map<String, String> connectionString(String value) {
        Map<String, String> out = new HashMap<>();
        if (value == null || value.isBlank()) {
            return out;
        }
        for (String part : value.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                out.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "AzureBlobRepository{" + containerUrl + "/" + prefix + "}";
    }
}
