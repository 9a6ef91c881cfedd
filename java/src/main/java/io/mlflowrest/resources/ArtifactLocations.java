package io.mlflowrest.resources;

import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.internal.artifacts.RepoPaths;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;

/**
 * Turns the URIs users hold into the storage URI their files are at: {@code runs:/<run>/<path>},
 * {@code models:/<name>/<version>}, {@code models:/<name>@<alias>}, {@code models:/<name>/<stage>}
 * (and {@code latest}), and MLflow 3's {@code models:/m-<id>/<path>}; a model version is followed
 * through its {@code source}, which may itself be a runs:/ or models:/ URI. Anything else
 * (s3://, mlflow-artifacts:/, a path) is already a storage URI.
 */
final class ArtifactLocations {
    private static final Set<String> STAGES = Set.of("none", "staging", "production", "archived");
    private static final int MAX_HOPS = 8;

    private final Runs runs;
    private final RegisteredModels registeredModels;
    private final ModelVersions modelVersions;
    private final LoggedModels loggedModels;
    // A run's and a logged model's artifact_uri never change: one lookup each is enough.
    private final Map<String, String> rootById = new ConcurrentHashMap<>();

    ArtifactLocations(Runs runs, RegisteredModels registeredModels, ModelVersions modelVersions, LoggedModels loggedModels) {
        this.runs = runs;
        this.registeredModels = registeredModels;
        this.modelVersions = modelVersions;
        this.loggedModels = loggedModels;
    }

    String runRoot(String runId) {
        return rootById.computeIfAbsent("run:" + runId, k -> runs.get(runId).getInfo().getArtifactUri());
    }

    String loggedModelRoot(String modelId) {
        return rootById.computeIfAbsent("model:" + modelId, k -> loggedModels.get(modelId).info().artifactUri());
    }

    /** The storage URI of {@code uri}. */
    String resolve(String uri) {
        String current = uri;
        for (int hop = 0; hop < MAX_HOPS; hop++) {
            if (current.startsWith("runs:/")) {
                String[] idAndPath = split(current.substring("runs:/".length()), "runs:/<run_id>/<path>", uri);
                return RepoPaths.joinUri(runRoot(idAndPath[0]), idAndPath[1]);
            }
            if (!current.startsWith("models:/")) {
                return current;
            }
            String rest = RepoPaths.trim(current.substring("models:/".length()));
            if (rest.startsWith("m-")) {
                String[] idAndPath = split(rest, "models:/m-<id>/<path>", uri);
                return RepoPaths.joinUri(loggedModelRoot(idAndPath[0]), idAndPath[1]);
            }
            current = modelVersion(rest, uri).getSource();
        }
        throw InvalidParameterValueError.clientSide("artifact_uri", MAX_HOPS + " model sources followed",
                uri + " leads through more than " + MAX_HOPS + " model URIs");
    }

    /** {@code name/version}, {@code name@alias}, {@code name/stage} or {@code name/latest}. */
    private ModelVersion modelVersion(String rest, String uri) {
        int at = rest.lastIndexOf('@');
        if (at > 0 && !rest.substring(at).contains("/")) {
            return registeredModels.getVersionByAlias(rest.substring(0, at), rest.substring(at + 1));
        }
        int slash = rest.lastIndexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw InvalidParameterValueError.clientSide("artifact_uri",
                    "models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/<stage> or models:/m-<id>",
                    "cannot read a model from " + uri);
        }
        String name = rest.substring(0, slash);
        String selector = rest.substring(slash + 1);
        if (selector.chars().allMatch(Character::isDigit)) {
            return modelVersions.get(name, selector);
        }
        String lower = selector.toLowerCase(java.util.Locale.ROOT);
        if (!lower.equals("latest") && !STAGES.contains(lower)) {
            throw InvalidParameterValueError.clientSide("artifact_uri", "a version number, 'latest' or a stage of " + STAGES,
                    "'" + selector + "' in " + uri + " is neither");
        }
        List<ModelVersion> versions = registeredModels.getLatestVersions(name,
                lower.equals("latest") ? List.of() : List.of(selector));
        return versions.stream().max(Comparator.comparingLong(v -> Long.parseLong(v.getVersion())))
                .orElseThrow(() -> new ResourceDoesNotExistError("model '" + name + "' has no version in stage '"
                        + selector + "'", null, "RESOURCE_DOES_NOT_EXIST", "GET", uri));
    }

    private static String[] split(String rest, String shape, String uri) {
        String trimmed = RepoPaths.trim(rest);
        if (trimmed.isEmpty()) {
            throw InvalidParameterValueError.clientSide("artifact_uri", shape, "no id in " + uri);
        }
        int slash = trimmed.indexOf('/');
        return slash < 0 ? new String[] {trimmed, ""} : new String[] {trimmed.substring(0, slash), trimmed.substring(slash + 1)};
    }
}
