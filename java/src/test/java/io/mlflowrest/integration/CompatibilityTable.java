package io.mlflowrest.integration;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The rows of COMPATIBILITY.md: one per public constructor and method of the official classes. */
final class CompatibilityTable {
    enum Status {
        AS_IS("works as is"), THROUGH("works through mlflowrest"), PYTHON("needs Python");

        final String label;

        Status(String label) {
            this.label = label;
        }
    }

    record Verdict(Status status, String observed, String replacement) {}

    private final Map<String, Verdict> rows = new TreeMap<>();

    /** Every public constructor and method, as {@code Class.name(ParamType, ...)}. */
    static List<String> publicSignatures(Class<?>... classes) {
        List<String> out = new ArrayList<>();
        for (Class<?> c : classes) {
            Stream.concat(Arrays.stream(c.getDeclaredConstructors()), Arrays.stream(c.getDeclaredMethods()))
                    .filter(e -> Modifier.isPublic(e.getModifiers()) && !e.isSynthetic())
                    .map(CompatibilityTable::signature).forEach(out::add);
        }
        return out;
    }

    static String signature(Executable e) {
        String name = e instanceof Constructor ? "new " + e.getDeclaringClass().getSimpleName()
                : e.getDeclaringClass().getSimpleName() + "." + e.getName();
        return name + "(" + Arrays.stream(e.getParameterTypes()).map(t -> t.getSimpleName())
                .collect(Collectors.joining(", ")) + ")";
    }

    void put(String signature, Verdict verdict) {
        rows.put(signature, verdict);
    }

    Map<Status, Long> counts() {
        Map<Status, Long> counts = new EnumMap<>(Status.class);
        for (Status s : Status.values()) {
            counts.put(s, rows.values().stream().filter(v -> v.status() == s).count());
        }
        return counts;
    }

    void write(Path file) throws IOException {
        Map<Status, Long> counts = counts();
        StringBuilder md = new StringBuilder();
        md.append("# The official Java client (org.mlflow:mlflow-client 2.17.2) against MLflow 3.17.2\n\n")
                .append("Written by `CompatibilityIntegrationTest` (`make test-java`) from probes run against a live\n")
                .append("harness server, with `MLFLOW_PYTHON_EXECUTABLE=/bin/false` so a call that starts Python\n")
                .append("shows. Every public constructor and method of `MlflowClient`, `MlflowContext` and\n")
                .append("`ActiveRun`, found by reflection. Do not edit: rerun the tests.\n\n")
                .append("| status | count |\n|---|---|\n");
        counts.forEach((s, n) -> md.append("| ").append(s.label).append(" | ").append(n).append(" |\n"));
        md.append("\n| method | status | observed | mlflowrest replacement |\n|---|---|---|---|\n");
        rows.forEach((sig, v) -> md.append("| `").append(sig).append("` | ").append(v.status().label).append(" | ")
                .append(v.observed().replace("|", "\\|")).append(" | ")
                .append(v.replacement() == null ? "-" : "`" + v.replacement() + "`").append(" |\n"));
        Files.writeString(file, md.toString());
    }
}
