"""Base of the generated resource classes, and the page iterator of search/list operations."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

import requests

from mlflowrest._exceptions import InvalidParameterValueError
from mlflowrest._operation import Operation
from mlflowrest._types import Model

if TYPE_CHECKING:
    from mlflowrest._client import MlflowClient

BinaryBody = bytes | IO[bytes]
R = TypeVar("R", bound=Model)
T = TypeVar("T")


class Page(Generic[R, T]):
    """Iterating yields the items of page after page, fetched as it goes, and stops after
    `limit` items (the caller's max_results) when there is one.

    `first` is the first page's response; `pages()` walks whole responses."""

    def __init__(
        self, fetch: Callable[[str | None], R], items_field: str, first_token: str | None, limit: int | None = None
    ) -> None:
        self._fetch = fetch
        self._items_field = items_field
        self._first_token = first_token
        self._first: R | None = None
        self.limit = limit

    @property
    def first(self) -> R:
        if self._first is None:
            self._first = self._fetch(self._first_token)
        return self._first

    def pages(self) -> Iterator[R]:
        page = self.first
        seen = 0
        while True:
            yield page
            seen += len(getattr(page, self._items_field) or [])
            token = getattr(page, "next_page_token", None)
            if not token or (self.limit is not None and seen >= self.limit):
                return
            page = self._fetch(token)

    def __iter__(self) -> Iterator[T]:
        left = self.limit
        for page in self.pages():
            items = getattr(page, self._items_field) or []
            if left is not None:
                items = items[:left]
                left -= len(items)
            yield from items
            if left == 0:
                return

    def to_list(self) -> list[T]:
        return list(self)


class Resource:
    def __init__(self, client: MlflowClient) -> None:
        self._client = client

    def _call(
        self, model: type[R], op: Operation, path_params: Mapping[str, str], values: Mapping[str, Any], *,
        data: Any = None, timeout: float | None = None, recover: Callable[[], R | None] | None = None,
    ) -> R:  # fmt: skip
        if recover is None and op.retry_safety == "recover-by-request-id":
            from mlflowrest.resources import _request_id

            values, recover = _request_id.prepare(self._client, op, values, model)
        result = self._client._transport.call(op, path_params, values, data=data, timeout=timeout, recover=recover)
        assert isinstance(result, model)
        return result

    def _send(
        self, op: Operation, path_params: Mapping[str, str], values: Mapping[str, Any], *,
        data: Any = None, timeout: float | None = None,
    ) -> None:  # fmt: skip
        self._client._transport.call(op, path_params, values, data=data, timeout=timeout)

    def _stream(
        self, op: Operation, path_params: Mapping[str, str], values: Mapping[str, Any], *, timeout: float | None = None
    ) -> requests.Response:
        response: requests.Response = self._client._transport.call(
            op, path_params, values, timeout=timeout, stream=True
        )
        return response

    def _paginate(
        self, model: type[R], op: Operation, path_params: Mapping[str, str], values: Mapping[str, Any],
        items_field: str, *, timeout: float | None = None, page_size: int | None = None,
    ) -> Page[R, Any]:  # fmt: skip
        """max_results limits what iterating yields (as MLflow's own clients do); each request asks
        for page_size results, or max_results when no page_size is given."""
        limit = values.get("max_results")
        if page_size is not None:
            if page_size < 1:
                raise InvalidParameterValueError(f"page_size must be at least 1, got {page_size}", field="page_size")
            values = {**values, "max_results": page_size}
        if limit is not None and limit < 0:
            raise InvalidParameterValueError(f"max_results must not be negative, got {limit}", field="max_results")

        def fetch(token: str | None) -> R:
            return self._call(model, op, path_params, {**values, "page_token": token}, timeout=timeout)

        return Page(fetch, items_field, values.get("page_token"), limit)
