// Print an AutoML parent run's leaderboard as one JSON line, read with the Java SDK.
//
//   java -cp <mlflowrest jar and its dependencies> tests/automl/Leaderboard.java <parent_run_id>
//
// Same rules as leaderboard.py (see there), calling only runs/get and runs/search.
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.SearchOptions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunTag;

public class Leaderboard {
    record Entry(String name, double value) {}

    static String tag(Run run, String key, String fallback) {
        for (RunTag t : run.getData().getTagsList()) {
            if (t.getKey().equals(key)) {
                return t.getValue();
            }
        }
        return fallback;
    }

    public static void main(String[] args) throws Exception {
        String parentId = args[0];
        try (MlflowRestClient client = MlflowRestClient.fromEnvironment()) {
            Run parent = client.runs().get(parentId);
            String metric = tag(parent, "automl.sort_metric", null);
            boolean descending = tag(parent, "automl.sort_order", "DESC").equals("DESC");
            List<Entry> board = new ArrayList<>();
            SearchOptions children = SearchOptions.filter("tags.`mlflow.parentRunId` = '" + parentId + "'");
            for (Run run : client.runs().search(List.of(parent.getInfo().getExperimentId()), children)) {
                for (Metric m : run.getData().getMetricsList()) {
                    if (m.getKey().equals(metric)) {
                        board.add(new Entry(tag(run, "automl.model_name", run.getInfo().getRunName()), m.getValue()));
                    }
                }
            }
            if (board.isEmpty()) {
                throw new IllegalStateException("run " + parentId + " has no child run with metric " + metric);
            }
            Comparator<Entry> byValue = Comparator.comparingDouble(Entry::value);
            board.sort((descending ? byValue.reversed() : byValue).thenComparing(Entry::name));
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("reader", "java");
            line.put("parent_run_id", parentId);
            line.put("best_model", board.get(0).name());
            line.put("metric", metric);
            line.put("value", board.get(0).value());
            line.put("candidates", board.size());
            System.out.println(new ObjectMapper().writeValueAsString(line));
        }
    }
}
