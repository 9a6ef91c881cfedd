package io.mlflowrest.errors;

/** No HTTP answer came: connection refused or reset, DNS, TLS. */
public class TransportError extends MlflowError {
    private final String method;
    private final String path;

    public TransportError(String message, String method, String path, Throwable cause) {
        super(message + " (" + method + " " + path + ")", cause);
        this.method = method;
        this.path = path;
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }
}
