package io.mlflowrest.journal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link Sync} did, per journal file and in total: calls sent, already present, failed (by
 * error code), waiting (an unbound local id, or no answer), torn lines ignored, and the runs it
 * created (local id to server id). {@link #toString()} is the report the command prints.
 */
public final class SyncReport {
    private final List<FileReport> files = new ArrayList<>();

    SyncReport() {}

    /** One file's outcome. */
    public static final class FileReport {
        private final String name;
        int sent;
        int alreadyPresent;
        final Map<String, Integer> failed = new TreeMap<>();
        int waiting;
        int torn;
        String skipped;
        String error;
        final Map<String, String> runs = new LinkedHashMap<>();

        FileReport(String name) {
            this.name = name;
        }

        /** {@return the file's name} */
        public String name() {
            return name;
        }

        /** {@return calls sent and answered 2xx} */
        public int sent() {
            return sent;
        }

        /** {@return calls found already made on the server (a run carrying its local id, an experiment of its name)} */
        public int alreadyPresent() {
            return alreadyPresent;
        }

        /** {@return calls the server refused for good, by error code} */
        public Map<String, Integer> failed() {
            return Collections.unmodifiableMap(failed);
        }

        /** {@return calls not sent: a local id with no bind yet, or no answer from the server} */
        public int waiting() {
            return waiting;
        }

        /** {@return torn last lines ignored (a killed writer)} */
        public int torn() {
            return torn;
        }

        /** {@return why the whole file was left alone (a live writer), or null} */
        public String skipped() {
            return skipped;
        }

        /** {@return local run id to server run id, for the runs this file's calls created or found} */
        public Map<String, String> runs() {
            return Collections.unmodifiableMap(runs);
        }

        private int failedCount() {
            return failed.values().stream().mapToInt(Integer::intValue).sum();
        }

        @Override
        public String toString() {
            if (skipped != null) {
                return name + ": skipped (" + skipped + ")";
            }
            StringBuilder codes = new StringBuilder();
            failed.forEach((code, n) -> codes.append(codes.length() == 0 ? " (" : ", ").append(code).append(" x").append(n));
            if (codes.length() > 0) {
                codes.append(')');
            }
            return name + ": sent " + sent + ", already present " + alreadyPresent + ", failed " + failedCount() + codes
                    + ", waiting " + waiting + ", torn lines ignored " + torn + (error == null ? "" : "; stopped: " + error);
        }
    }

    FileReport add(String name) {
        FileReport f = new FileReport(name);
        files.add(f);
        return f;
    }

    /** {@return each file's outcome, in the order synced} */
    public List<FileReport> files() {
        return Collections.unmodifiableList(files);
    }

    /** {@return true when nothing failed, waits or stopped: the command's exit status is then 0} */
    public boolean ok() {
        return files.stream().allMatch(f -> f.failed.isEmpty() && f.waiting == 0 && f.error == null);
    }

    /** {@return every local run id bound, to its server id} */
    public Map<String, String> runs() {
        Map<String, String> all = new LinkedHashMap<>();
        files.forEach(f -> all.putAll(f.runs));
        return all;
    }

    /** {@return calls sent, over all files} */
    public int sent() {
        return files.stream().mapToInt(f -> f.sent).sum();
    }

    /** {@return calls already present, over all files} */
    public int alreadyPresent() {
        return files.stream().mapToInt(f -> f.alreadyPresent).sum();
    }

    /** {@return calls failed, over all files} */
    public int failed() {
        return files.stream().mapToInt(FileReport::failedCount).sum();
    }

    /** {@return calls waiting, over all files} */
    public int waiting() {
        return files.stream().mapToInt(f -> f.waiting).sum();
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        files.forEach(f -> out.append(f).append('\n'));
        runs().forEach((local, remote) -> out.append("runs created: ").append(local).append(" -> ").append(remote).append('\n'));
        out.append("total: ").append(files.size()).append(" files, sent ").append(sent()).append(", already present ")
                .append(alreadyPresent()).append(", failed ").append(failed()).append(", waiting ").append(waiting())
                .append(", torn lines ignored ").append(files.stream().mapToInt(f -> f.torn).sum());
        return out.toString();
    }
}
