package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.MlflowError;
import io.mlflowrest.errors.TransportError;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Issue 15, Java items 14 and 15: a down server is named, a closed client refuses, no logging binding for users. */
class ClientLifecycleTest {
    @Test
    void downServerErrorNamesTheHost() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (MlflowRestClient client = MlflowRestClient.create(io.mlflowrest.ClientConfig.builder()
                .trackingUri("http://127.0.0.1:" + port).maxRetries(0).build())) {
            TransportError e = assertThrows(TransportError.class, () -> client.experiments().get("1"));
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        }
    }

    @Test
    void callsAfterCloseFailClearly() throws IOException {
        try (StubServer stub = new StubServer()) {
            stub.otherwise(r -> StubServer.Answer.json(200, "{\"experiment\":{\"experiment_id\":\"1\",\"name\":\"e\"}}"));
            MlflowRestClient client = MlflowRestClient.create(stub.config().build());
            assertEquals("1", client.experiments().get("1").getExperimentId());
            client.close();
            int before = stub.requests.size();
            MlflowError e = assertThrows(MlflowError.class, () -> client.experiments().get("1"));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertEquals(before, stub.requests.size(), "nothing is sent after close()");
        }
    }

    /** Issue 15 item 4: numbers read from strings are checked, never cast: "2.5" and "1e12" retries are typed errors. */
    @Test
    void configCountsAreWholeNumbersWithinRange() {
        for (String bad : List.of("2.5", "1e12", "9223372036854775808")) {
            io.mlflowrest.errors.InvalidParameterValueError e = assertThrows(io.mlflowrest.errors.InvalidParameterValueError.class,
                    () -> io.mlflowrest.ClientConfig.fromEnvironment(java.util.Map.of("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000",
                            "MLFLOW_HTTP_REQUEST_MAX_RETRIES", bad), Path.of("/nonexistent")));
            assertEquals("MLFLOW_HTTP_REQUEST_MAX_RETRIES", e.field());
        }
        io.mlflowrest.errors.InvalidParameterValueError t = assertThrows(io.mlflowrest.errors.InvalidParameterValueError.class,
                () -> io.mlflowrest.ClientConfig.fromEnvironment(java.util.Map.of("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000",
                        "MLFLOW_HTTP_REQUEST_TIMEOUT", "1e300"), Path.of("/nonexistent")));
        assertEquals("MLFLOW_HTTP_REQUEST_TIMEOUT", t.field());
        assertEquals(3, io.mlflowrest.ClientConfig.fromEnvironment(java.util.Map.of("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000",
                "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3"), Path.of("/nonexistent")).maxRetries());
    }

    /** Users get slf4j-api only: any SLF4J binding in the pom is optional or test-scoped. */
    @Test
    void noLoggingBindingReachesUsers() throws Exception {
        Element pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile()).getDocumentElement();
        NodeList deps = ((Element) pom.getElementsByTagName("dependencies").item(0)).getElementsByTagName("dependency");
        List<String> leaking = new java.util.ArrayList<>();
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            String group = text(d, "groupId");
            String artifact = text(d, "artifactId");
            boolean binding = group.equals("org.slf4j") && !artifact.equals("slf4j-api")
                    || group.equals("ch.qos.logback") || artifact.startsWith("log4j-slf4j");
            if (binding && !"true".equals(text(d, "optional")) && !"test".equals(text(d, "scope"))) {
                leaking.add(group + ":" + artifact);
            }
        }
        assertEquals(List.of(), leaking);
    }

    private static String text(Element e, String tag) {
        NodeList n = e.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent().strip();
    }
}
