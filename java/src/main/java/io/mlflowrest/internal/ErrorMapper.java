package io.mlflowrest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlflowrest.errors.ApiError;
import io.mlflowrest.errors.ConflictError;
import io.mlflowrest.errors.InvalidParameterValueError;
import io.mlflowrest.errors.PermissionDeniedError;
import io.mlflowrest.errors.RateLimitedError;
import io.mlflowrest.errors.ResourceAlreadyExistsError;
import io.mlflowrest.errors.ResourceDoesNotExistError;
import io.mlflowrest.errors.ServerError;
import io.mlflowrest.errors.UnauthenticatedError;
import io.mlflowrest.generated.ErrorCodes;
import java.util.Set;

/**
 * An error answer to its class: by the body's error_code when the body is MLflow JSON (its
 * status from the generated x-mlflow-error-codes table), else by the HTTP status. Non-JSON
 * bodies (HTML, text) keep their first 200 characters as the message.
 */
public final class ErrorMapper {
    private static final int TEXT_LIMIT = 200;
    // Both "already exists" codes have their own class although their statuses differ (400, 409).
    private static final Set<String> ALREADY_EXISTS = Set.of("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS");

    private ErrorMapper() {}

    public static ApiError map(int status, String body, String method, String path) {
        JsonNode json = Json.tryParse(body);
        if (json != null && json.isObject() && json.hasNonNull("error_code")) {
            String code = json.get("error_code").asText();
            String message = json.path("message").asText("");
            if (ALREADY_EXISTS.contains(code)) {
                return new ResourceAlreadyExistsError(message, status, code, method, path);
            }
            return byStatus(ErrorCodes.HTTP_STATUS.getOrDefault(code, status), message, status, code, method, path);
        }
        String text = body == null ? "" : body.strip();
        String message = text.isEmpty() ? "HTTP " + status
                : text.length() > TEXT_LIMIT ? text.substring(0, TEXT_LIMIT) : text;
        return byStatus(status, message, status, null, method, path);
    }

    private static ApiError byStatus(int kind, String message, int status, String code, String method, String path) {
        return switch (kind) {
            case 400 -> new InvalidParameterValueError(message, status, code, method, path);
            case 401 -> new UnauthenticatedError(message, status, code, method, path);
            case 403 -> new PermissionDeniedError(message, status, code, method, path);
            case 404 -> new ResourceDoesNotExistError(message, status, code, method, path);
            case 409 -> new ConflictError(message, status, code, method, path);
            case 429 -> new RateLimitedError(message, status, code, method, path);
            default -> kind >= 500 ? new ServerError(message, status, code, method, path)
                    : new ApiError(message, status, code, method, path);
        };
    }
}
