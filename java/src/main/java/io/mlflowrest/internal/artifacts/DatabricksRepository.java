package io.mlflowrest.internal.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.generated.Route;
import io.mlflowrest.generated.Routes;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Query;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.http.RawResponse;
import io.mlflowrest.internal.http.RequestBody;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mlflow.api.proto.Service.FileInfo;

/**
 * {@code dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts/...} and
 * {@code .../<exp>/logged_models/<model>/artifacts/...} with a Databricks tracking URI: the
 * artifact credential API of mlflow/protos/databricks_artifacts.proto (under /api/2.0) hands
 * out signed URLs, and the bytes go to the cloud store directly. Large files to AWS go as a
 * presigned multipart upload; an expired part URL is renewed once.
 */
public final class DatabricksRepository implements ArtifactRepository {
    private static final String PREFIX = "dbfs:/databricks/mlflow-tracking/";

    private final Transport transport;
    private final StoreHttp http;
    private final SignedUrls signed;
    private final Parts parts;
    private final boolean loggedModel;
    private final String id;
    private final String sub;

    /**
     * @param uri a {@code dbfs:/databricks/mlflow-tracking/...} artifact URI
     * @param transport asks the workspace for signed URLs
     * @param http sends to the signed URLs
     * @param parts when and how to split uploads
     */
    public DatabricksRepository(String uri, Transport transport, StoreHttp http, Parts parts) {
        String rest = uri.startsWith(PREFIX) ? uri.substring(PREFIX.length()) : null;
        String[] segments = rest == null ? new String[0] : RepoPaths.trim(rest).split("/", -1);
        boolean model = segments.length >= 4 && segments[1].equals("logged_models") && segments[3].equals("artifacts");
        boolean run = segments.length >= 3 && segments[2].equals("artifacts");
        if (!model && !run) {
            throw InvalidParameterValueError.clientSide("artifact_uri",
                    "dbfs:/databricks/mlflow-tracking/<experiment>/<run>/artifacts[/...] or .../logged_models/<id>/artifacts[/...]",
                    "mlflowrest reads and writes DBFS only where Databricks keeps MLflow artifacts, not " + uri);
        }
        this.loggedModel = model;
        this.id = model ? segments[2] : segments[1];
        int skip = model ? 4 : 3;
        this.sub = String.join("/", java.util.Arrays.copyOfRange(segments, skip, segments.length));
        this.transport = transport;
        this.http = http;
        this.parts = parts;
        this.signed = new SignedUrls(http, parts);
    }

    @Override
    public void upload(Path file, String path) {
        String rel = RepoPaths.join(sub, path);
        long size = RepoPaths.size(file);
        JsonNode credential = credential(true, rel);
        try {
            if (credential.path("type").asText().equals("AWS_PRESIGNED_URL") && parts.multipart(size)) {
                multipart(file, rel, size);
            } else {
                signed.put(credential, file, size);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void multipart(Path file, String rel, long size) {
        List<long[]> pieces = parts.split(size);
        ObjectNode create = Json.object().put("run_id", id).put("path", rel).put("num_parts", pieces.size());
        JsonNode upload = transport.call(Routes.DATABRICKS_ARTIFACTS_CREATE_MULTIPART_UPLOAD, Query.of(), create);
        String uploadId = upload.path("upload_id").asText();
        JsonNode credentials = upload.path("upload_credential_infos");
        try {
            ObjectNode complete = Json.object().put("run_id", id).put("path", rel).put("upload_id", uploadId);
            for (int i = 0; i < pieces.size(); i++) {
                long[] piece = pieces.get(i);
                RawResponse answer;
                try {
                    answer = putPart(credentials.get(i), file, piece);
                } catch (ApiError expired) {
                    if (expired.httpStatus() == null || expired.httpStatus() != 403) {
                        throw expired;
                    }
                    Query q = Query.of().with("run_id", id).with("path", rel).with("upload_id", uploadId)
                            .with("part_number", Integer.toString(i + 1));
                    JsonNode renewed = transport.call(Routes.DATABRICKS_ARTIFACTS_PRESIGNED_UPLOAD_PART_URL, q, null);
                    answer = putPart(renewed.path("upload_credential_info"), file, piece);
                }
                complete.withArray("part_etags").addObject().put("part_number", i + 1).put("etag", answer.header("etag"));
            }
            transport.call(Routes.DATABRICKS_ARTIFACTS_COMPLETE_MULTIPART_UPLOAD, Query.of(), complete);
        } catch (RuntimeException e) {
            JsonNode abort = upload.path("abort_credential_info");
            if (abort.hasNonNull("signed_uri")) {
                try {
                    http.discard("DELETE", SignedUrls.uri(abort), () -> SignedUrls.headers(abort), null);
                } catch (RuntimeException abortFailure) {
                    e.addSuppressed(abortFailure);
                }
            }
            throw e;
        }
    }

    private RawResponse putPart(JsonNode credential, Path file, long[] piece) {
        return http.discard("PUT", SignedUrls.uri(credential), () -> SignedUrls.headers(credential),
                RequestBody.fileRange(file, piece[0], piece[1]));
    }

    @Override
    public List<FileInfo> list(String dir) {
        String rel = RepoPaths.join(sub, dir);
        List<FileInfo> entries = new ArrayList<>();
        String token = null;
        do {
            JsonNode page;
            if (loggedModel) {
                Query q = Query.of().with("artifact_directory_path", rel);
                page = transport.call(Routes.LOGGED_MODELS_LIST_ARTIFACTS, Map.of("model_id", id),
                        token == null ? q : q.with("page_token", token), null);
            } else {
                Query q = Query.of().with("run_id", id).with("path", rel);
                page = transport.call(Routes.ARTIFACTS_LIST, token == null ? q : q.with("page_token", token), null);
            }
            JsonNode files = page.path("files");
            // listing a file answers that file alone: the folder is empty
            if (files.size() == 1 && files.get(0).path("path").asText().equals(rel) && !files.get(0).path("is_dir").asBoolean()) {
                return List.of();
            }
            for (JsonNode f : files) {
                String full = f.path("path").asText();
                String relative = sub.isEmpty() ? full : full.startsWith(sub + "/") ? full.substring(sub.length() + 1) : full;
                FileInfo.Builder info = FileInfo.newBuilder().setPath(relative).setIsDir(f.path("is_dir").asBoolean(false));
                if (f.has("file_size") && !info.getIsDir()) {
                    info.setFileSize(f.path("file_size").asLong());
                }
                entries.add(info.build());
            }
            token = page.path("next_page_token").asText("");
            token = token.isEmpty() || files.isEmpty() ? null : token;
        } while (token != null);
        return entries;
    }

    @Override
    public void download(String path, Path target) {
        signed.get(credential(false, RepoPaths.join(sub, path)), target);
    }

    @Override
    public void delete(String path) {
        throw new MlflowError("Databricks' artifact API has no delete; delete " + path + " in the Databricks workspace");
    }

    /** The signed-URL credential for one path, for writing or reading. */
    private JsonNode credential(boolean write, String rel) {
        if (loggedModel) {
            Route route = write ? Routes.DATABRICKS_ARTIFACTS_CREDENTIALS_FOR_LOGGED_MODEL_UPLOAD
                    : Routes.DATABRICKS_ARTIFACTS_CREDENTIALS_FOR_LOGGED_MODEL_DOWNLOAD;
            ObjectNode body = Json.object();
            body.putArray("paths").add(rel);
            return first(transport.call(route, Map.of("model_id", id), Query.of(), body).path("credentials"), rel).path("credential_info");
        }
        ObjectNode body = Json.object().put("run_id", id);
        body.putArray("path").add(rel);
        JsonNode answer = transport.call(write ? Routes.DATABRICKS_ARTIFACTS_CREDENTIALS_FOR_WRITE
                : Routes.DATABRICKS_ARTIFACTS_CREDENTIALS_FOR_READ, Query.of(), body);
        return first(answer.path("credential_infos"), rel);
    }

    private static JsonNode first(JsonNode list, String rel) {
        if (!list.isArray() || list.isEmpty()) {
            throw new MlflowError("Databricks answered no credential for " + rel);
        }
        return list.get(0);
    }

    @Override
    public String toString() {
        return "DatabricksRepository{" + (loggedModel ? "logged model " : "run ") + id + ", " + sub + "}";
    }
}
