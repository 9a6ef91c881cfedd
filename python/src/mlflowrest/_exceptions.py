"""One error tree, the same names in the Python, Java and R SDKs (docs/design.md)."""

from __future__ import annotations

from typing import Any


class MlflowError(Exception):
    """Base of every error this package raises."""


class TransportError(MlflowError):
    """No HTTP answer: connection refused or reset, DNS, TLS."""

    def __init__(self, message: str, *, method: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class RequestTimeoutError(TransportError):
    """The request's timeout expired before an answer came."""


class ApiError(MlflowError):
    """The server (or a proxy in front of it) answered with an error."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        error_code: str | None = None,
        method: str | None = None,
        path: str | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.http_status = http_status
        self.error_code = error_code
        self.method = method
        self.path = path
        self.body = body
        where = f" ({method} {path})" if method else ""
        status = f"{http_status} " if http_status else ""
        super().__init__(f"{status}{error_code or 'ERROR'}: {message}{where}")


class InvalidParameterValueError(ApiError):
    """A bad argument: found by the server (400), or before sending (then field and limit are set)."""

    def __init__(self, message: str, *, field: str | None = None, limit: str | None = None, **kw: Any) -> None:
        self.field = field
        self.limit = limit
        kw.setdefault("error_code", "INVALID_PARAMETER_VALUE")
        super().__init__(message, **kw)


class ResourceAlreadyExistsError(ApiError):
    pass


class ResourceDoesNotExistError(ApiError):
    pass


class UnauthenticatedError(ApiError):
    pass


class PermissionDeniedError(ApiError):
    pass


class ConflictError(ApiError):
    pass


class RateLimitedError(ApiError):
    pass


class ServerError(ApiError):
    pass


class UnexpectedResponseError(ApiError):
    """A success status whose body is not the JSON the spec promises (HTML, truncated)."""


BY_ERROR_CODE: dict[str, type[ApiError]] = {
    "INVALID_PARAMETER_VALUE": InvalidParameterValueError,
    "BAD_REQUEST": InvalidParameterValueError,
    "RESOURCE_ALREADY_EXISTS": ResourceAlreadyExistsError,
    "ALREADY_EXISTS": ResourceAlreadyExistsError,
    "RESOURCE_DOES_NOT_EXIST": ResourceDoesNotExistError,
    "NOT_FOUND": ResourceDoesNotExistError,
    "ENDPOINT_NOT_FOUND": ResourceDoesNotExistError,
    "UNAUTHENTICATED": UnauthenticatedError,
    "CUSTOMER_UNAUTHORIZED": UnauthenticatedError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "ABORTED": ConflictError,
    "RESOURCE_CONFLICT": ConflictError,
    "REQUEST_LIMIT_EXCEEDED": RateLimitedError,
    "RESOURCE_EXHAUSTED": RateLimitedError,
}

BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidParameterValueError,
    401: UnauthenticatedError,
    403: PermissionDeniedError,
    404: ResourceDoesNotExistError,
    409: ConflictError,
    429: RateLimitedError,
}


def error_class(error_code: str | None, http_status: int) -> type[ApiError]:
    if error_code in BY_ERROR_CODE:
        return BY_ERROR_CODE[error_code]
    if http_status >= 500:
        return ServerError
    return BY_STATUS.get(http_status, ApiError)
