package io.mlflowrest.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * java/COMPATIBILITY.md: every public constructor and method of the official MlflowClient,
 * MlflowContext and ActiveRun, whether the drop-in inherits or overrides it (found by
 * reflection), why (compatibility-notes.tsv), and the integration tests that call it (found in
 * their source, by name and argument count). A row no test calls is an error, not a row.
 */
final class CompatibilityTable {
    static final Path TESTS = Path.of("src/test/java/io/mlflowrest/compat/integration");
    private static final Pattern TEST_METHOD = Pattern.compile("@Test\\s+void\\s+(\\w+)\\s*\\(");

    private CompatibilityTable() {}

    /** The rendered table; throws when an official method has no calling test. */
    static String render() {
        Map<String, String> notes = notes();
        Map<String, List<String>> bodies = testBodies();
        StringBuilder rows = new StringBuilder();
        List<String> untested = new ArrayList<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (Class<?> official : List.of(org.mlflow.tracking.MlflowClient.class, org.mlflow.tracking.MlflowContext.class,
                org.mlflow.tracking.ActiveRun.class)) {
            Class<?> dropIn = official == org.mlflow.tracking.MlflowClient.class ? MlflowClient.class
                    : official == org.mlflow.tracking.MlflowContext.class ? MlflowContext.class : null;
            for (Executable e : members(official)) {
                String name = e instanceof Constructor ? official.getSimpleName() : e.getName();
                String signature = official.getSimpleName() + (e instanceof Constructor ? "" : "." + name) + "("
                        + Arrays.stream(e.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", "))
                        + ")";
                String[] statusWhy = classify(e, official, dropIn, notes);
                List<String> tests = callers(bodies, e instanceof Constructor ? "new " + name : name,
                        e.getParameterCount());
                if (tests.isEmpty() && !statusWhy[0].equals("not possible")) {
                    untested.add(signature);
                }
                counts.merge(statusWhy[0], 1, Integer::sum);
                rows.append("| `").append(signature).append("` | ").append(statusWhy[0]).append(" | ")
                        .append(statusWhy[1]).append(" | ")
                        .append(tests.isEmpty() ? "-" : tests.stream().map(t -> "`" + t + "`").collect(Collectors.joining(", ")))
                        .append(" |\n");
            }
        }
        if (!untested.isEmpty()) {
            throw new IllegalStateException("no integration test calls " + untested);
        }
        StringBuilder md = new StringBuilder();
        md.append("# The drop-in for org.mlflow:mlflow-client 2.17.2, against MLflow 3.17.2\n\n")
          .append("Written by `make compat-table` (`CompatibilityTable` in `java/compat`); `make test-java` fails when\n")
          .append("it is stale. Change the import, keep the code: `io.mlflowrest.compat.MlflowClient` and\n")
          .append("`MlflowContext` subclass the official classes (see java/README.md, \"Moving from mlflow-client\").\n")
          .append("Every public constructor and method of the official `MlflowClient`, `MlflowContext` and\n")
          .append("`ActiveRun`, found by reflection; \"tests\" are the integration tests in\n")
          .append("`java/compat/src/test/java/io/mlflowrest/compat/integration` that call it (by name and argument\n")
          .append("count), run against a live server with `MLFLOW_PYTHON_EXECUTABLE=/bin/false`.\n")
          .append("Sizes: 30,000-point `logBatch` and `getMetricHistory`, folders three deep. 1 GB files go through the\n")
          .append("library's `Artifacts`, which the drop-in's artifact methods call unchanged: `make bench` measures that\n")
          .append("size (bench/results.md, the artifacts rows) and the library's `LargeArtifactIntegrationTest`\n")
          .append("(`make test-java-stores`) moves 1 GiB through S3 and the Databricks stand-in.\n\n")
          .append("| status | count |\n|---|---|\n");
        counts.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("\n| method | status | why | tests |\n|---|---|---|---|\n").append(rows);
        return md.toString();
    }

    private static String[] classify(Executable e, Class<?> official, Class<?> dropIn, Map<String, String> notes) {
        if (dropIn == null) {
            return new String[] {"inherited and tested", "the official ActiveRun, created by the drop-in context: "
                    + "each call goes to the drop-in client's method of the same name"};
        }
        if (e instanceof Constructor<?> c) {
            Class<?>[] params = c.getParameterTypes();
            if (params.length == 1 && params[0] == org.mlflow.tracking.MlflowClient.class && dropIn == MlflowContext.class) {
                return new String[] {"not possible", "takes the drop-in `MlflowClient` instead: an official client "
                        + "would log through its own transport; code that builds one passes the import-changed type"};
            }
            return new String[] {"same constructor", "builds the mlflowrest client from the same arguments, "
                    + "with retries and timeout from MLFLOW_HTTP_REQUEST_*"};
        }
        Method m = (Method) e;
        try {
            dropIn.getDeclaredMethod(m.getName(), m.getParameterTypes());
            return new String[] {"overridden", notes.getOrDefault(m.getName(), notes.get("DEFAULT"))};
        } catch (NoSuchMethodException inherited) {
            return new String[] {"inherited and tested", "the official method, which only calls overridden ones"};
        }
    }

    private static List<Executable> members(Class<?> type) {
        List<Executable> all = new ArrayList<>();
        // sorted by the whole signature: reflection's order is not stable from one JVM to the next
        Stream.of(type.getConstructors()).sorted(Comparator.comparing(CompatibilityTable::key)).forEach(all::add);
        Stream.of(type.getDeclaredMethods()).filter(m -> Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()
                && !m.isBridge() && !Modifier.isStatic(m.getModifiers()))
                .sorted(Comparator.comparing(CompatibilityTable::key)).forEach(all::add);
        return all;
    }

    private static String key(Executable e) {
        return e.getName() + "/" + e.getParameterCount() + Arrays.toString(e.getParameterTypes());
    }

    /** Test method name -> its source lines, for every integration test class. */
    private static Map<String, List<String>> testBodies() {
        Map<String, List<String>> bodies = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(TESTS)) {
            for (Path file : files.filter(f -> f.toString().endsWith("Test.java")).sorted().toList()) {
                String cls = file.getFileName().toString().replace(".java", "");
                String current = null;
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    Matcher start = TEST_METHOD.matcher(line.trim().startsWith("void") ? "@Test " + line.trim() : "");
                    if (start.find()) {
                        current = cls + "." + start.group(1);
                        bodies.put(current, new ArrayList<>());
                    } else if (line.startsWith("    }")) {
                        current = null;
                    } else if (current != null) {
                        bodies.get(current).add(line);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bodies;
    }

    /** The tests with a call of {@code name} taking {@code arity} arguments. */
    private static List<String> callers(Map<String, List<String>> bodies, String name, int arity) {
        Set<String> found = new TreeSet<>();
        Pattern call = Pattern.compile((name.startsWith("new ") ? "" : "\\.") + Pattern.quote(name) + "\\(");
        bodies.forEach((test, lines) -> {
            String text = String.join("\n", lines);
            Matcher m = call.matcher(text);
            while (m.find()) {
                if (arguments(text, m.end()) == arity) {
                    found.add(test);
                }
            }
        });
        return new ArrayList<>(found);
    }

    /** How many top-level arguments the call whose '(' ends at {@code from} has. */
    private static int arguments(String text, int from) {
        int depth = 0;
        int commas = 0;
        boolean any = false;
        boolean quoted = false;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' && text.charAt(i - 1) != '\\') {
                quoted = !quoted;
            }
            if (quoted) {
                any = true;
                continue;
            }
            if (c == '(' || c == '{' || c == '[') {
                depth++;
            } else if (c == ')' || c == '}' || c == ']') {
                if (depth == 0) {
                    return any ? commas + 1 : 0;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                commas++;
            } else if (c == '<' || c == '>') {
                // generic angle brackets do not nest calls here
            }
            if (!Character.isWhitespace(c)) {
                any = true;
            }
        }
        return -1;
    }

    private static Map<String, String> notes() {
        Map<String, String> notes = new LinkedHashMap<>();
        try (var in = CompatibilityTable.class.getResourceAsStream("/compatibility-notes.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] cols = line.split("\t", 2);
                    notes.put(cols[0], cols[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return notes;
    }

    /** Writes the table: {@code make compat-table}. */
    public static void main(String[] args) throws IOException {
        Files.writeString(Path.of(args[0]), render());
    }
}
