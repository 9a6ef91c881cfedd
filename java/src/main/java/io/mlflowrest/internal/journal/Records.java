package io.mlflowrest.internal.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlflowrest.generated.Rules;
import io.mlflowrest.internal.Json;
import io.mlflowrest.internal.Version;

/** The records of docs/journal.md as JSON objects, fields named as openapi/journal.schema.json names them. */
public final class Records {
    private Records() {}

    /**
     * @param session 32 hex digits
     * @param mode "journal" or "offline"
     * @param trackingUri the server, without credentials; null offline
     * @return the first record of a file
     */
    public static ObjectNode open(String session, String mode, String trackingUri) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        ObjectNode r = Json.object().put("type", "open").put("format", Rules.JOURNAL_FORMAT)
                .put("version", Rules.JOURNAL_VERSION).put("session", session).put("sdk", "java")
                .put("sdk_version", Version.VERSION).put("pid", ProcessHandle.current().pid()).put("host", host)
                .put("created_ms", System.currentTimeMillis()).put("mode", mode);
        r.put("tracking_uri", trackingUri);
        return r;
    }

    /**
     * @param seq the call's number in its file
     * @param requestId the request id sent with it
     * @param operation the spec's operationId
     * @param method the HTTP method
     * @param path the path sent
     * @param body the JSON body
     * @return a call record (binds added by the caller)
     */
    public static ObjectNode call(long seq, String requestId, String operation, String method, String path,
            JsonNode body) {
        ObjectNode r = Json.object().put("type", "call").put("seq", seq).put("request_id", requestId)
                .put("operation", operation).put("method", method).put("path", path);
        r.set("body", body == null ? Json.object() : Json.withoutNulls(body));
        return r.put("time_ms", System.currentTimeMillis());
    }

    /**
     * @param seq the call settled
     * @param status the HTTP status of its answer
     * @param outcome "sent" or "already_present"
     * @return a done record
     */
    public static ObjectNode done(long seq, int status, String outcome) {
        return Json.object().put("type", "done").put("seq", seq).put("status", status)
                .put("time_ms", System.currentTimeMillis()).put("outcome", outcome);
    }

    /**
     * @param seq the call refused
     * @param status the HTTP status
     * @param errorCode the server's error_code
     * @param message the server's message (never a secret)
     * @return a failed record
     */
    public static ObjectNode failed(long seq, int status, String errorCode, String message) {
        return Json.object().put("type", "failed").put("seq", seq).put("status", status)
                .put("error_code", errorCode == null ? "ERROR" : errorCode).put("message", message == null ? "" : message);
    }

    /**
     * @param seq the call that made the server id
     * @param local the local id
     * @param remote the server's id
     * @return a bind record
     */
    public static ObjectNode bind(long seq, String local, String remote) {
        return Json.object().put("type", "bind").put("seq", seq).put("local", local).put("remote", remote);
    }

    /** {@return the last record of a cleanly closed file} */
    public static ObjectNode close() {
        return Json.object().put("type", "close").put("time_ms", System.currentTimeMillis());
    }
}
