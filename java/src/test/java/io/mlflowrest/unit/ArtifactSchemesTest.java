package io.mlflowrest.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.internal.Transport;
import io.mlflowrest.internal.artifacts.ArtifactRepositories;
import io.mlflowrest.internal.artifacts.AwsCredentials;
import io.mlflowrest.internal.artifacts.AzureBlobRepository;
import io.mlflowrest.internal.artifacts.DatabricksRepository;
import io.mlflowrest.internal.artifacts.LocalRepository;
import io.mlflowrest.internal.artifacts.ProxiedRepository;
import io.mlflowrest.internal.artifacts.S3Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which repository a URI gets, with which endpoint and credentials, and the error for any other scheme. */
class ArtifactSchemesTest {
    private static final ClientConfig CONFIG = ClientConfig.builder().trackingUri("http://127.0.0.1:1").build();
    private static final Map<String, String> AWS = Map.of("AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "secret");

    private static ArtifactRepositories repos(Map<String, String> env, Path home) {
        return new ArtifactRepositories(new Transport(CONFIG), CONFIG, env, home);
    }

    @Test
    void eachSchemeGetsItsRepository(@TempDir Path home) {
        Map<String, String> env = new java.util.HashMap<>(AWS);
        env.put("AZURE_STORAGE_ACCESS_KEY", "a2V5");
        try (ArtifactRepositories r = repos(env, home)) {
            assertInstanceOf(ProxiedRepository.class, r.forUri("mlflow-artifacts:/0/abc/artifacts"));
            assertInstanceOf(ProxiedRepository.class, r.forUri("mlflow-artifacts://host:5000/0/abc/artifacts"));
            assertInstanceOf(S3Repository.class, r.forUri("s3://bucket/0/abc/artifacts"));
            assertInstanceOf(AzureBlobRepository.class, r.forUri("wasbs://c@acct.blob.core.windows.net/p"));
            assertInstanceOf(AzureBlobRepository.class, r.forUri("abfss://c@acct.dfs.core.windows.net/p"));
            assertInstanceOf(LocalRepository.class, r.forUri("file:///srv/mlflow/0/abc/artifacts"));
            assertInstanceOf(LocalRepository.class, r.forUri("/srv/mlflow/0/abc/artifacts"));
            assertInstanceOf(DatabricksRepository.class, r.forUri("dbfs:/databricks/mlflow-tracking/1/abc/artifacts"));
            assertInstanceOf(DatabricksRepository.class, r.forUri("dbfs:/databricks/mlflow-tracking/1/logged_models/m-1/artifacts"));
        }
    }

    @Test
    void unknownSchemeNamesItAndTheSupportedOnes(@TempDir Path home) {
        try (ArtifactRepositories r = repos(Map.of(), home)) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, () -> r.forUri("hdfs://nn:8020/mlflow/1"));
            assertEquals("artifact_uri", e.field());
            assertTrue(e.getMessage().contains("'hdfs:'") && e.getMessage().contains("s3") && e.getMessage().contains("wasbs"),
                    e.getMessage());
            InvalidParameterValueError dbfs = assertThrows(InvalidParameterValueError.class, () -> r.forUri("dbfs:/FileStore/x"));
            assertTrue(dbfs.getMessage().contains("dbfs:/FileStore/x"), dbfs.getMessage());
        }
    }

    @Test
    void customEndpointIsPathStyleAndAwsIsVirtualHosted(@TempDir Path home) {
        Map<String, String> env = new java.util.HashMap<>(AWS);
        env.put("MLFLOW_S3_ENDPOINT_URL", "http://127.0.0.1:9000/");
        try (ArtifactRepositories r = repos(env, home)) {
            S3Repository s3 = (S3Repository) r.forUri("s3://mlflow/artifacts");
            assertEquals("http://127.0.0.1:9000", s3.endpoint().toString());
            assertTrue(s3.pathStyle());
        }
        Map<String, String> aws = new java.util.HashMap<>(AWS);
        aws.put("AWS_DEFAULT_REGION", "eu-west-3");
        try (ArtifactRepositories r = repos(aws, home)) {
            S3Repository s3 = (S3Repository) r.forUri("s3://mlflow/artifacts");
            assertEquals("https://mlflow.s3.eu-west-3.amazonaws.com", s3.endpoint().toString());
            assertEquals(false, s3.pathStyle());
        }
    }

    @Test
    void awsCredentialsComeFromEnvironmentThenProfile(@TempDir Path home) throws IOException {
        Files.createDirectories(home.resolve(".aws"));
        Files.writeString(home.resolve(".aws/credentials"), "[default]\naws_access_key_id = DEF\naws_secret_access_key = s1\n"
                + "[ci]\naws_access_key_id = CIKEY\naws_secret_access_key = s2\naws_session_token = tok\n");
        Files.writeString(home.resolve(".aws/config"), "[profile ci]\nregion = ap-south-1\n");
        assertEquals("AKID", AwsCredentials.resolve(AWS, home).accessKey());
        assertEquals("DEF", AwsCredentials.resolve(Map.of(), home).accessKey());
        AwsCredentials ci = AwsCredentials.resolve(Map.of("AWS_PROFILE", "ci"), home);
        assertEquals("CIKEY", ci.accessKey());
        assertEquals("tok", ci.sessionToken());
        assertEquals("ap-south-1", ci.region());
        assertEquals("us-east-1", AwsCredentials.resolve(Map.of(), home).region());
        InvalidParameterValueError none = assertThrows(InvalidParameterValueError.class,
                () -> AwsCredentials.resolve(Map.of("AWS_PROFILE", "missing"), home));
        assertTrue(none.getMessage().contains("missing"), none.getMessage());
    }

    @Test
    void badUploadExtraArgsNameTheVariable(@TempDir Path home) {
        Map<String, String> env = new java.util.HashMap<>(AWS);
        env.put("MLFLOW_S3_UPLOAD_EXTRA_ARGS", "{\"Bogus\": \"1\"}");
        try (ArtifactRepositories r = repos(env, home)) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class, () -> r.forUri("s3://b/p"));
            assertEquals("MLFLOW_S3_UPLOAD_EXTRA_ARGS", e.field());
            assertTrue(e.getMessage().contains("Bogus"));
        }
    }

    @Test
    void azureNeedsCredentialsAndReadsTheConnectionString(@TempDir Path home) {
        try (ArtifactRepositories r = repos(Map.of(), home)) {
            InvalidParameterValueError e = assertThrows(InvalidParameterValueError.class,
                    () -> r.forUri("wasbs://c@acct.blob.core.windows.net/p"));
            assertTrue(e.getMessage().contains("AZURE_STORAGE_CONNECTION_STRING"), e.getMessage());
        }
        String conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";
        try (ArtifactRepositories r = repos(Map.of("AZURE_STORAGE_CONNECTION_STRING", conn), home)) {
            AzureBlobRepository az = (AzureBlobRepository) r.forUri("wasbs://mlflow@devstoreaccount1.blob.core.windows.net/a");
            assertEquals("http://127.0.0.1:10000/devstoreaccount1/mlflow", az.containerUrl().toString());
        }
        try (ArtifactRepositories r = repos(Map.of("AZURE_STORAGE_ACCESS_KEY", "a2V5"), home)) {
            AzureBlobRepository az = (AzureBlobRepository) r.forUri("abfss://data@acct.dfs.core.windows.net/a");
            assertEquals("https://acct.blob.core.windows.net/data", az.containerUrl().toString());
        }
    }
}
