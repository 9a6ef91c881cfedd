package io.mlflowrest.internal.artifacts;

import io.mlflowrest.internal.IniFile;

import io.mlflowrest.errors.InvalidParameterValueError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * AWS credentials and region found as boto3 finds them: AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the AWS_PROFILE (or "default") section of
 * ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE); region from AWS_REGION, AWS_DEFAULT_REGION,
 * the profile in ~/.aws/config (AWS_CONFIG_FILE), else us-east-1. toString never shows a secret.
 */
public record AwsCredentials(String accessKey, String secretKey, String sessionToken, String region) {
    public static AwsCredentials resolve(Map<String, String> env, Path home) {
        String profile = env.getOrDefault("AWS_PROFILE", "default");
        Map<String, String> config = section(path(env, "AWS_CONFIG_FILE", home.resolve(".aws/config")),
                profile.equals("default") ? "default" : "profile " + profile);
        String region = firstSet(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"), config.get("region"), "us-east-1");
        if (isSet(env.get("AWS_ACCESS_KEY_ID")) && isSet(env.get("AWS_SECRET_ACCESS_KEY"))) {
            return new AwsCredentials(env.get("AWS_ACCESS_KEY_ID").strip(), env.get("AWS_SECRET_ACCESS_KEY").strip(),
                    blankToNull(env.get("AWS_SESSION_TOKEN")), region);
        }
        Path file = path(env, "AWS_SHARED_CREDENTIALS_FILE", home.resolve(".aws/credentials"));
        Map<String, String> creds = section(file, profile);
        if (creds.containsKey("aws_access_key_id") && creds.containsKey("aws_secret_access_key")) {
            return new AwsCredentials(creds.get("aws_access_key_id"), creds.get("aws_secret_access_key"),
                    creds.get("aws_session_token"), region);
        }
        throw InvalidParameterValueError.clientSide("AWS_ACCESS_KEY_ID", "AWS credentials for s3:// artifacts",
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a section '"
                        + profile + "' in " + file);
    }

    private static Path path(Map<String, String> env, String name, Path fallback) {
        return isSet(env.get(name)) ? Path.of(env.get(name)) : fallback;
    }

    /** The key = value lines of one [section] of an INI file; empty when the file or section is missing. */
    static Map<String, String> section(Path file, String wanted) {
        return IniFile.section(file, wanted).orElseGet(java.util.HashMap::new);
    }

    private static String firstSet(String... values) {
        for (String v : values) {
            if (isSet(v)) {
                return v.strip();
            }
        }
        return null;
    }

    static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }

    private static String blankToNull(String value) {
        return isSet(value) ? value.strip() : null;
    }

    @Override
    public String toString() {
        return "AwsCredentials{accessKey=" + accessKey + ", secretKey=***, sessionToken="
                + (sessionToken == null ? "none" : "***") + ", region=" + region + "}";
    }
}
