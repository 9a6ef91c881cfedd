package io.mlflowrest.errors;

/** No HTTP answer came: connection refused or reset, DNS, TLS. */
public class TransportError extends MlflowError {
    private static final long serialVersionUID = 1L;

    /** The request's HTTP method. */
    private final String method;
    /** The request's path. */
    private final String path;

    /**
     * Built by the transport when no answer came; the message ends with the route.
     *
     * @param message what failed, e.g. connection refused
     * @param method the request's HTTP method
     * @param path the request's path
     * @param cause the I/O exception
     */
    public TransportError(String message, String method, String path, Throwable cause) {
        super(message + " (" + method + " " + path + ")", cause);
        this.method = method;
        this.path = path;
    }

    /** {@return the HTTP method of the request that got no answer} */
    public String method() {
        return method;
    }

    /** {@return the path of the request that got no answer} */
    public String path() {
        return path;
    }
}
