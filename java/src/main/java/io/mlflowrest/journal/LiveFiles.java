package io.mlflowrest.journal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** A file whose writer is still running is skipped by sync (docs/journal.md, "A live journal"). */
final class LiveFiles {
    private LiveFiles() {}

    /** {@return why the file is live (its writer's pid and host), or null when sync may take it} */
    static String liveWriter(List<ObjectNode> records) {
        if (records.isEmpty() || !"open".equals(records.get(0).path("type").asText())) {
            return null;
        }
        for (ObjectNode r : records) {
            if ("close".equals(r.path("type").asText())) {
                return null;
            }
        }
        ObjectNode open = records.get(0);
        long pid = open.path("pid").asLong(-1);
        String host = open.path("host").asText("");
        if (!host.equals(localHost())) {
            return null; // another host's process cannot be checked: its writer copied the file here, done
        }
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        return alive ? "being written by pid " + pid + " on " + host + "; --include-live to sync it anyway" : null;
    }

    static String localHost() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
