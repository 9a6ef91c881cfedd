package io.mlflowrest.internal;

import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.generated.Limits;
import java.util.regex.Pattern;

/**
 * Client-side checks with the server's own limits (generated from x-mlflow-limits), so a bad
 * key fails before sending and the error names the field and the limit. Long param and tag
 * values are refused too: the server would truncate them silently by default.
 */
public final class Validation {
    // The server's patterns are Python regexes, whose \w matches Unicode letters.
    private static final Pattern KEY = Pattern.compile(Limits.KEY_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern RUN_ID = Pattern.compile(Limits.RUN_ID_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern EXPERIMENT_ID = Pattern.compile(Limits.EXPERIMENT_ID_PATTERN,
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern ALIAS = Pattern.compile(Limits.ALIAS_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern VERSION_LIKE = Pattern.compile("^[vV]\\d+$");

    private Validation() {}

    /**
     * A metric, param or tag key: the key pattern, at most 250 characters, a normalised path.
     *
     * @param field the argument's name for the error, e.g. {@code metrics.key}
     * @param key the key
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void key(String field, String key) {
        required(field, key);
        maxLength(field, key, Limits.MAX_ENTITY_KEY_LENGTH, "MAX_ENTITY_KEY_LENGTH");
        if (!KEY.matcher(key).matches()) {
            throw InvalidParameterValueError.clientSide(field, "KEY_PATTERN " + Limits.KEY_PATTERN,
                    "'" + key + "' has characters outside the allowed set");
        }
        if (!isNormalPath(key)) {
            throw InvalidParameterValueError.clientSide(field, "normalised path",
                    "'" + key + "' is not a normalised path (empty, '..', '.', leading or double '/')");
        }
    }

    /**
     * A run id: the server's run id pattern, checked before it goes into a URL or filter.
     *
     * @param runId the id
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void runId(String runId) {
        required("run_id", runId);
        if (!RUN_ID.matcher(runId).matches()) {
            throw InvalidParameterValueError.clientSide("run_id", "RUN_ID_PATTERN " + Limits.RUN_ID_PATTERN,
                    "'" + runId + "' is not a run id");
        }
    }

    /**
     * An experiment id: the server's experiment id pattern.
     *
     * @param experimentId the id
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void experimentId(String experimentId) {
        required("experiment_id", experimentId);
        if (!EXPERIMENT_ID.matcher(experimentId).matches()) {
            throw InvalidParameterValueError.clientSide("experiment_id",
                    "EXPERIMENT_ID_PATTERN " + Limits.EXPERIMENT_ID_PATTERN, "'" + experimentId + "' is not an experiment id");
        }
    }

    /**
     * An experiment name: present and within the server's length limit.
     *
     * @param name the name
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void experimentName(String name) {
        required("name", name);
        if (name.isBlank()) {
            throw InvalidParameterValueError.clientSide("name", "non-empty", "an experiment name must not be blank");
        }
        maxLength("name", name, Limits.MAX_EXPERIMENT_NAME_LENGTH, "MAX_EXPERIMENT_NAME_LENGTH");
    }

    /**
     * A param value within the server's length limit.
     *
     * @param value the value
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void paramValue(String value) {
        paramValue("value", value);
    }

    /**
     * A param value within the server's length limit, named {@code field} in the error.
     *
     * @param field the argument's name for the error, e.g. {@code params[3].value}
     * @param value the value
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void paramValue(String field, String value) {
        required(field, value);
        maxLength(field, value, Limits.MAX_PARAM_VALUE_LENGTH, "MAX_PARAM_VALUE_LENGTH");
    }

    /**
     * A run tag: a valid key and a value within the server's length limit.
     *
     * @param key the key
     * @param value the value
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void runTag(String key, String value) {
        runTag("", key, value);
    }

    /**
     * {@code at} prefixes the field names, e.g. {@code tags[3].} for an item of a batch.
     *
     * @param at the prefix, or ""
     * @param key the key
     * @param value the value
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void runTag(String at, String key, String value) {
        key(at + "key", key);
        required(at + "value", value);
        maxLength(at + "value", value, Limits.MAX_TAG_VALUE_LENGTH, "MAX_TAG_VALUE_LENGTH");
    }

    /**
     * An experiment tag: a valid key and a value within the server's length limit.
     *
     * @param key the key
     * @param value the value
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void experimentTag(String key, String value) {
        required("key", key);
        maxLength("key", key, Limits.MAX_EXPERIMENT_TAG_KEY_LENGTH, "MAX_EXPERIMENT_TAG_KEY_LENGTH");
        required("value", value);
        maxLength("value", value, Limits.MAX_EXPERIMENT_TAG_VALUE_LENGTH, "MAX_EXPERIMENT_TAG_VALUE_LENGTH");
    }

    /**
     * A registered-model or model-version tag: a valid key and a value within the server's length limit.
     *
     * @param key the key
     * @param value the value
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void registryTag(String key, String value) {
        required("key", key);
        maxLength("key", key, Limits.MAX_MODEL_REGISTRY_TAG_KEY_LENGTH, "MAX_MODEL_REGISTRY_TAG_KEY_LENGTH");
        required("value", value);
        maxLength("value", value, Limits.MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH, "MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH");
    }

    /**
     * A registered-model alias: the server's alias pattern and length limit.
     *
     * @param alias the alias
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void alias(String alias) {
        required("alias", alias);
        maxLength("alias", alias, Limits.MAX_REGISTERED_MODEL_ALIAS_LENGTH, "MAX_REGISTERED_MODEL_ALIAS_LENGTH");
        if (!ALIAS.matcher(alias).matches() || alias.isEmpty()) {
            throw InvalidParameterValueError.clientSide("alias", "ALIAS_PATTERN " + Limits.ALIAS_PATTERN,
                    "'" + alias + "' has characters outside the allowed set");
        }
        if (alias.equalsIgnoreCase("latest") || VERSION_LIKE.matcher(alias).matches()) {
            throw InvalidParameterValueError.clientSide("alias", "not 'latest' nor v<digits>",
                    "'" + alias + "' is reserved");
        }
    }

    /**
     * Every integer in a JSON argument fits int64, the widest integer format of the spec: a
     * larger one (2^63+5, which the server would store as 0) is refused before sending, naming
     * where it is ({@code metrics[1].step}). Java's own API takes {@code long}, where the bound
     * is a type fact; JSON from elsewhere (the raw operations) is checked here.
     *
     * @param at where the node is, e.g. {@code metrics[1]}; "" at the top
     * @param node the JSON, or null
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming where the out-of-range integer is
     */
    public static void int64(String at, com.fasterxml.jackson.databind.JsonNode node) {
        if (node == null) {
            return;
        }
        if (node.isIntegralNumber() && !node.canConvertToLong()) {
            throw InvalidParameterValueError.clientSide(at.isEmpty() ? "value" : at, "int64 (-2^63 .. 2^63-1)",
                    node + " is outside int64");
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                int64(at + "[" + i + "]", node.get(i));
            }
        } else if (node.isObject()) {
            node.fields().forEachRemaining(e -> int64(at.isEmpty() ? e.getKey() : at + "." + e.getKey(), e.getValue()));
        }
    }

    /**
     * A required argument: not null.
     *
     * @param field the argument's name for the error
     * @param value the value
     * @throws io.mlflowrest.errors.InvalidParameterValueError naming the field and the limit it breaks
     */
    public static void required(String field, String value) {
        if (value == null) {
            throw InvalidParameterValueError.clientSide(field, "required", "must not be null");
        }
    }

    private static void maxLength(String field, String value, int limit, String limitName) {
        if (value.length() > limit) {
            throw InvalidParameterValueError.clientSide(field, limitName + " = " + limit,
                    value.length() + " characters is too long");
        }
    }

    /** What the server checks with posixpath.normpath(key) == key. */
    private static boolean isNormalPath(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            return false;
        }
        for (String part : key.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }
}
