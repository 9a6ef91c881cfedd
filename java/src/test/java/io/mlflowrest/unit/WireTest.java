package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.Page;
import io.mlflowrest.SearchOptions;
import io.mlflowrest.internal.Json;
import io.mlflowrest.unit.StubServer.Answer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mlflow.api.proto.Service.Experiment;
import org.mlflow.api.proto.Service.Metric;

class WireTest {
    @Test
    void nanAndInfinityTravelAsStringsAndInt64AsNumbers() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            client.runs().logMetric("r1", "a", Double.NaN, 1700000000000L, 5);
            client.runs().logMetric("r1", "b", Double.NEGATIVE_INFINITY, 1, 0);
            JsonNode first = Json.tryParse(stub.requests.get(0).body());
            assertEquals("NaN", first.path("value").textValue());
            assertTrue(first.path("timestamp").isIntegralNumber());
            assertEquals(1700000000000L, first.path("timestamp").longValue());
            assertEquals("-Infinity", Json.tryParse(stub.requests.get(1).body()).path("value").textValue());
        }
    }

    @Test
    void parsesNanStringsBackToDoubles() throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.otherwise(r -> Answer.json(200, "{\"metrics\":[{\"key\":\"a\",\"value\":\"NaN\",\"step\":1},"
                    + "{\"key\":\"a\",\"value\":\"Infinity\",\"step\":2}]}"));
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
                List<Metric> points = client.metrics().history("r1", "a").toList();
                assertTrue(Double.isNaN(points.get(0).getValue()));
                assertEquals(Double.POSITIVE_INFINITY, points.get(1).getValue());
            }
        }
    }

    @Test
    void searchWalksEveryPage() throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.then(Answer.json(200, "{\"experiments\":[{\"experiment_id\":\"1\"},{\"experiment_id\":\"2\"}],"
                    + "\"next_page_token\":\"t1\"}"));
            stub.then(r -> {
                assertEquals("t1", Json.tryParse(r.body()).path("page_token").asText());
                return Answer.json(200, "{\"experiments\":[{\"experiment_id\":\"3\"}]}");
            });
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
                List<String> ids = client.experiments().search(SearchOptions.ALL.pageSize(2)).stream()
                        .map(Experiment::getExperimentId).toList();
                assertEquals(List.of("1", "2", "3"), ids);
            }
            assertEquals(2, Json.tryParse(stub.requests.get(0).body()).path("max_results").asInt());
        }
    }

    @Test
    void pagesCanAlsoBeFetchedByHand() throws Exception {
        try (StubServer stub = new StubServer()) {
            stub.then(Answer.json(200, "{\"experiments\":[{\"experiment_id\":\"1\"}],\"next_page_token\":\"t1\"}"));
            stub.then(Answer.json(200, "{\"experiments\":[{\"experiment_id\":\"2\"}],\"next_page_token\":\"\"}"));
            try (MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
                var search = client.experiments().search(SearchOptions.ALL.pageSize(1));
                Page<Experiment> first = search.firstPage();
                assertEquals("t1", first.nextPageToken());
                Page<Experiment> second = search.page(first.nextPageToken());
                assertEquals("2", second.items().get(0).getExperimentId());
                assertNull(second.nextPageToken(), "an empty token means the last page");
            }
        }
    }

    /** A raw socket server: chunked answers, keep-alive reuse, and a stale connection it closes. */
    @Test
    void decodesChunkedAnswersReusesConnectionsAndRecoversFromStaleOnes() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        connections.incrementAndGet();
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                                StandardCharsets.ISO_8859_1));
                        OutputStream out = s.getOutputStream();
                        // Two requests per connection, then close: the client's third request
                        // finds its pooled connection dead and must retry on a new one.
                        for (int i = 0; i < 2; i++) {
                            String line;
                            int length = 0;
                            while (!(line = in.readLine()).isEmpty()) {
                                if (line.toLowerCase().startsWith("content-length:")) {
                                    length = Integer.parseInt(line.substring(15).trim());
                                }
                            }
                            in.skip(length);
                            int n = requests.incrementAndGet();
                            String body = "{\"experiment\":{\"experiment_id\":\"" + n + "\"}}";
                            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(5) + "\r\n"
                                    + body.substring(0, 5) + "\r\n" + Integer.toHexString(body.length() - 5) + "\r\n"
                                    + body.substring(5) + "\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                            out.flush();
                        }
                    } catch (Exception e) {
                        // the test closes the server socket to stop this loop
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            String url = "http://127.0.0.1:" + server.getLocalPort();
            try (MlflowRestClient client = MlflowRestClient.create(io.mlflowrest.ClientConfig.builder()
                    .trackingUri(url).maxRetries(0).build())) {
                assertEquals("1", client.experiments().get("1").getExperimentId());
                assertEquals("2", client.experiments().get("1").getExperimentId());
                Thread.sleep(100);
                assertEquals("3", client.experiments().get("1").getExperimentId());
            }
            assertEquals(2, connections.get(), "two requests share a kept-alive connection");
        }
    }
}
