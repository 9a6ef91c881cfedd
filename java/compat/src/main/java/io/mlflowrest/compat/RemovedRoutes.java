package io.mlflowrest.compat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Rewrites a path of a route MLflow 3.x removed to its replacement (removed-routes.tsv). */
final class RemovedRoutes {
    private record Replacement(String path, String defaultParameter) {}

    private static final Map<String, Replacement> REPLACEMENTS = load();

    private RemovedRoutes() {}

    /** {@code path} (below /api/2.0/mlflow/, maybe with a query) with a removed route replaced. */
    static String rewrite(String path) {
        int q = path.indexOf('?');
        String route = q < 0 ? path : path.substring(0, q);
        String stripped = route.startsWith("/") ? route.substring(1) : route;
        Replacement replacement = REPLACEMENTS.get(stripped);
        if (replacement == null) {
            return path;
        }
        String query = q < 0 ? "" : path.substring(q + 1);
        String name = replacement.defaultParameter().split("=")[0];
        boolean given = ("&" + query).contains("&" + name + "=");
        String added = given ? query : query.isEmpty() ? replacement.defaultParameter()
                : query + "&" + replacement.defaultParameter();
        return replacement.path() + (added.isEmpty() ? "" : "?" + added);
    }

    private static Map<String, Replacement> load() {
        Map<String, Replacement> map = new LinkedHashMap<>();
        try (InputStream in = RemovedRoutes.class.getResourceAsStream("removed-routes.tsv");
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] cols = line.split("\t");
                    map.put(cols[0], new Replacement(cols[1], cols[2]));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(map);
    }
}
