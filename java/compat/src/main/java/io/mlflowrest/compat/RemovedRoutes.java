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
    private static final Map<String, String> REPLACEMENTS = load();

    private RemovedRoutes() {}

    /** {@code path} (below /api/2.0/mlflow/, maybe with a query) with a removed route replaced. */
    static String rewrite(String path) {
        int q = path.indexOf('?');
        String route = q < 0 ? path : path.substring(0, q);
        String stripped = route.startsWith("/") ? route.substring(1) : route;
        String replacement = REPLACEMENTS.get(stripped);
        return replacement == null ? path : replacement + (q < 0 ? "" : path.substring(q));
    }

    static Map<String, String> table() {
        return REPLACEMENTS;
    }

    private static Map<String, String> load() {
        Map<String, String> map = new LinkedHashMap<>();
        try (InputStream in = RemovedRoutes.class.getResourceAsStream("removed-routes.tsv");
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] cols = line.split("\t");
                    map.put(cols[0], cols[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(map);
    }
}
