package io.mlflowrest.compat;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.List;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.Service.Experiment;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.ViewType;
import org.mlflow.tracking.ExperimentsPage;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.ModelVersionsPage;
import org.mlflow.tracking.RunsPage;

/**
 * The official page types, filled with what mlflowrest fetched. Their constructors are
 * package-private, hence reflection; {@code getNextPage()} then calls back into the drop-in.
 */
final class Pages {
    private static final Constructor<RunsPage> RUNS = open(RunsPage.class, List.class, String.class, List.class,
            String.class, ViewType.class, int.class, List.class, MlflowClient.class);
    private static final Constructor<ExperimentsPage> EXPERIMENTS = open(ExperimentsPage.class, List.class,
            String.class, String.class, ViewType.class, int.class, List.class, MlflowClient.class);
    private static final Constructor<ModelVersionsPage> MODEL_VERSIONS = open(ModelVersionsPage.class, List.class,
            String.class, String.class, int.class, List.class, MlflowClient.class);

    private Pages() {}

    static RunsPage runs(List<Run> items, String nextToken, List<String> experimentIds, String filter,
            ViewType viewType, int maxResults, List<String> orderBy, MlflowClient client) {
        return make(RUNS, items, nextToken, experimentIds, filter, viewType, maxResults, orderBy, client);
    }

    static ExperimentsPage experiments(List<Experiment> items, String nextToken, String filter, ViewType viewType,
            int maxResults, List<String> orderBy, MlflowClient client) {
        return make(EXPERIMENTS, items, nextToken, filter, viewType, maxResults, orderBy, client);
    }

    static ModelVersionsPage modelVersions(List<ModelVersion> items, String nextToken, String filter,
            int maxResults, List<String> orderBy, MlflowClient client) {
        return make(MODEL_VERSIONS, items, nextToken, filter, maxResults, orderBy, client);
    }

    private static <T> Constructor<T> open(Class<T> type, Class<?>... parameters) {
        try {
            Constructor<T> c = type.getDeclaredConstructor(parameters);
            c.setAccessible(true);
            return c;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("mlflow-client changed " + type.getSimpleName() + "'s constructor", e);
        }
    }

    private static <T> T make(Constructor<T> constructor, Object... args) {
        try {
            return constructor.newInstance(args);
        } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot build " + constructor.getDeclaringClass().getSimpleName(), e);
        }
    }
}
