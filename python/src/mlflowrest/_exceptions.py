"""One error tree, the same names in the Python, Java and R SDKs (docs/design.md)."""

from __future__ import annotations

from typing import Any

from mlflowrest._generated import rules


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


class JournalError(MlflowError):
    """The local journal (docs/journal.md) cannot be written (disk full: names the file) or read
    (a corrupt line: names the file and line), or an offline entity was read."""


def error_class(error_code: str | None, http_status: int) -> type[ApiError]:
    """openapi/family-rules.yaml's precedence: the body's error_code, then the actual status."""
    name = rules.BY_ERROR_CODE.get(error_code or "") or rules.BY_STATUS.get(http_status)
    if name is None and http_status < 400:
        name = rules.REDIRECT_CLASS
    if name is None:
        name = "ServerError" if http_status >= rules.SERVER_ERROR_FROM else "ApiError"
    cls = globals()[name]
    assert isinstance(cls, type) and issubclass(cls, ApiError)
    return cls
