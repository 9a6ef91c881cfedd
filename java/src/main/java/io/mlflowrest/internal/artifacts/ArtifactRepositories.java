package io.mlflowrest.internal.artifacts;

import io.mlflowrest.ClientConfig;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.internal.Transport;
import java.io.Closeable;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Picks the repository for an artifact URI by its scheme. Environment and home folder are
 * read once, when the client is made; AWS credentials only when an s3:// URI is met.
 */
public final class ArtifactRepositories implements Closeable {
    /** The schemes mlflowrest reads and writes, named in the error for any other. */
    public static final List<String> SCHEMES = List.of("mlflow-artifacts", "s3", "wasbs", "abfss", "file", "dbfs");

    private final Transport transport;
    private final Map<String, String> env;
    private final Path home;
    private final StoreHttp storage;
    private final StoreHttp s3Storage;
    private volatile AwsCredentials aws;

    /**
     * @param transport the client's request helper
     * @param config the client's configuration
     * @param env the environment, read once
     * @param home the user's home folder
     */
    public ArtifactRepositories(Transport transport, ClientConfig config, Map<String, String> env, Path home) {
        this.transport = transport;
        this.env = Map.copyOf(env);
        this.home = home;
        this.storage = new StoreHttp(config, false);
        this.s3Storage = new StoreHttp(config, truthy(env.get("MLFLOW_S3_IGNORE_TLS")));
    }

    /**
     * @param uri an artifact URI
     * @return the repository for it
     * @throws io.mlflowrest.errors.InvalidParameterValueError for a scheme not in SCHEMES
     */
    public ArtifactRepository forUri(String uri) {
        String scheme = scheme(uri);
        switch (scheme) {
            case "mlflow-artifacts": {
                String rest = uri.substring(uri.indexOf(':') + 1);
                if (rest.startsWith("//")) {
                    int slash = rest.indexOf('/', 2);
                    rest = slash < 0 ? "" : rest.substring(slash);
                }
                return new ProxiedRepository(transport, rest);
            }
            case "s3":
                return new S3Repository(parse(uri), env, awsCredentials(), s3Storage);
            case "wasbs":
            case "abfss":
                return new AzureBlobRepository(parse(uri), env, storage);
            case "file":
                return new LocalRepository(Path.of(URI.create(uri.startsWith("file:///") || !uri.startsWith("file://")
                        ? uri : "file:///" + uri.substring("file://".length()))));
            case "":
                return new LocalRepository(Path.of(uri));
            case "dbfs":
                return new DatabricksRepository(uri, transport, storage, Parts.fromEnvironment(env));
            default:
                throw InvalidParameterValueError.clientSide("artifact_uri", "one of the schemes " + SCHEMES,
                        "mlflowrest cannot read or write artifacts at '" + scheme + ":' URIs (" + uri + ")");
        }
    }

    /**
     * {@code scheme://authority/path} with the path taken literally (MLflow's storage URIs are
     * not percent-encoded: a key may hold spaces or non-ASCII letters).
     */
    static URI parse(String uri) {
        int sep = uri.indexOf("://");
        if (sep < 0) {
            throw InvalidParameterValueError.clientSide("artifact_uri", "scheme://authority/path", "cannot read " + uri);
        }
        String rest = uri.substring(sep + 3);
        int slash = rest.indexOf('/');
        try {
            return new URI(uri.substring(0, sep), slash < 0 ? rest : rest.substring(0, slash), slash < 0 ? "" : rest.substring(slash), null, null);
        } catch (java.net.URISyntaxException e) {
            throw InvalidParameterValueError.clientSide("artifact_uri", "scheme://authority/path", "cannot read " + uri + ": " + e.getMessage());
        }
    }

    /** The URI's scheme in lower case; "" for a plain path (a Windows drive letter counts as a path). */
    static String scheme(String uri) {
        int colon = uri.indexOf(':');
        if (colon <= 1 || uri.substring(0, colon).contains("/")) {
            return "";
        }
        return uri.substring(0, colon).toLowerCase(Locale.ROOT);
    }

    private AwsCredentials awsCredentials() {
        if (aws == null) {
            aws = AwsCredentials.resolve(env, home);
        }
        return aws;
    }

    private static boolean truthy(String value) {
        return value != null && List.of("true", "1", "yes").contains(value.strip().toLowerCase(Locale.ROOT));
    }

    @Override
    public void close() {
        storage.close();
        s3Storage.close();
    }
}
