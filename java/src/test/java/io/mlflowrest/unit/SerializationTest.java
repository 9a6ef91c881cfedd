package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.MlflowRestClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A client built on a Spark driver travels to executors by Java serialization. */
class SerializationTest {
    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T value, byte[][] bytesOut) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        bytesOut[0] = bytes.toByteArray();
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytesOut[0]))) {
            return (T) in.readObject();
        }
    }

    @Test
    void clientTravelsAsItsConfigurationAndOpensItsOwnConnections() throws Exception {
        ClientConfig config = ClientConfig.builder().trackingUri("http://127.0.0.1:5999").token("s3cret-token")
                .maxRetries(3).backoffFactorSeconds(0.25).timeout(Duration.ofSeconds(7)).batchConcurrency(3)
                .hostWriteSlots(5).serverCertPath(Path.of("/tmp/ca.pem")).build();
        try (MlflowRestClient client = MlflowRestClient.create(config)) {
            byte[][] wire = new byte[1][];
            MlflowRestClient copy = roundTrip(client, wire);
            assertNotSame(client, copy);
            ClientConfig back = copy.config();
            assertEquals(config.trackingUri(), back.trackingUri());
            assertEquals("s3cret-token", back.token());
            assertEquals(3, back.maxRetries());
            assertEquals(0.25, back.backoffFactorSeconds());
            assertEquals(Duration.ofSeconds(7), back.timeout());
            assertEquals(3, back.batchConcurrency());
            assertEquals(5, back.hostWriteSlots());
            assertEquals(Path.of("/tmp/ca.pem"), back.serverCertPath());
            assertEquals(config.toString(), back.toString());
            copy.close();
        }
    }

    @Test
    void basicAuthSurvivesAndTheSerializedFormNeverPrintsSecrets() throws Exception {
        ClientConfig config = ClientConfig.builder().trackingUri("http://127.0.0.1:5999")
                .basicAuth("alice", "pa55word").build();
        byte[][] wire = new byte[1][];
        ClientConfig back = roundTrip(config, wire);
        assertEquals("alice", back.username());
        assertEquals("pa55word", back.password());
        assertFalse(back.toString().contains("pa55word"));
        assertFalse(new String(wire[0], StandardCharsets.ISO_8859_1).contains("ClientConfig{"));
    }
}
