package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.MlflowRestClient;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Limits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValidationTest {
    @Test
    void tooLongKeyFailsBeforeSendingNamingFieldAndLimit() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logMetric("r1", "k".repeat(Limits.MAX_ENTITY_KEY_LENGTH + 1), 1.0));
            assertEquals("key", e.field());
            assertTrue(e.limit().contains("MAX_ENTITY_KEY_LENGTH = 250"), e.limit());
            assertNull(e.httpStatus());
            assertEquals("INVALID_PARAMETER_VALUE", e.errorCode());
            assertEquals(0, stub.requests.size(), "nothing may be sent");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b/c.d-e:f_g", "accuracy", "ünïcode", "x/y"})
    void acceptsKeysTheServerAccepts(String key) {
        assertDoesNotThrow(() -> io.mlflowrest.internal.Validation.key("key", key));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a//b", "/a", "a/", "../a", "a/./b", "a*b", "a\nb"})
    void rejectsKeysTheServerRejects(String key) {
        assertThrows(InvalidParameterValueError.class, () -> io.mlflowrest.internal.Validation.key("key", key));
    }

    @Test
    void valueLengthsComeFromTheSpec() throws Exception {
        try (StubServer stub = new StubServer(); MlflowRestClient client = MlflowRestClient.create(stub.config().build())) {
            InvalidParameterValueError p = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().logParam("r1", "p", "v".repeat(Limits.MAX_PARAM_VALUE_LENGTH + 1)));
            assertTrue(p.limit().contains("MAX_PARAM_VALUE_LENGTH"));
            InvalidParameterValueError t = assertThrows(InvalidParameterValueError.class,
                    () -> client.runs().setTag("r1", "t", "v".repeat(Limits.MAX_TAG_VALUE_LENGTH + 1)));
            assertTrue(t.limit().contains("MAX_TAG_VALUE_LENGTH"));
            assertThrows(InvalidParameterValueError.class, () -> client.experiments().create(" "));
            assertThrows(InvalidParameterValueError.class, () -> client.runs().get("bad id!"));
            assertThrows(InvalidParameterValueError.class, () -> client.registeredModels().setAlias("m", "latest", "1"));
            assertThrows(InvalidParameterValueError.class, () -> client.registeredModels().setAlias("m", "v3", "1"));
            assertEquals(0, stub.requests.size());
        }
    }
}
