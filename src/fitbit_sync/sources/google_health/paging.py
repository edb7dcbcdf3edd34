"""The one page loop of the Google Health API: ``pageToken`` in, ``nextPageToken`` out, and the guards.

Every paged read (``list``, ``rollUp``, ``dailyRollUp``, ``pairedDevices``) goes through ``pages``,
so callers see pages (their items and whether each is the last) and never a page token:

- a ``nextPageToken`` of the wrong type is a malformed answer, never "the last page" (that would
  let the engine claim coverage for pages it never fetched);
- a page may hand back a token already used when it is empty ("come back later", seen live), up
  to ``MAX_EMPTY_REPEATS`` times in a row; a page with data that repeats a token, or more empty
  repeats, is a loop and fails the read.

``PagedEndpoints`` gives a client (``HealthApiClient``, or a test's scripted stand-in) page
iterators over its one-page endpoint methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fitbit_sync.errors import SourceError

MAX_EMPTY_REPEATS = 5  # empty pages in a row that may repeat a page token


@dataclass(frozen=True, slots=True)
class Page:
    """One answer of a paged read: its ``items`` (the list under the read's key) and whether it is
    the ``last`` page; ``answer`` is the whole JSON object."""

    items: list[Any]
    last: bool
    answer: dict[str, Any]


def pages(fetch: Callable[[str | None], Any], key: str) -> Iterator[Page]:
    """Pages of ``fetch(page_token)`` (None for the first) with their items under ``key``, until a
    page without ``nextPageToken``; ``SourceError`` on a malformed answer or a token loop."""
    token: str | None = None
    seen: set[str] = set()
    empty_repeats = 0
    while True:
        answer = fetch(token)
        items = _items(answer, key)
        token = next_token(answer)
        if token is not None and token in seen:
            # An empty page may hand back the token just used ("come back later", seen live);
            # a page with data, or too many empty repeats, is a loop.
            if items or empty_repeats >= MAX_EMPTY_REPEATS:
                raise SourceError("the API repeated a page token; stopped paging")
            empty_repeats += 1
        else:
            empty_repeats = 0
        yield Page(items, token is None, answer)
        if token is None:
            return
        seen.add(token)


def next_token(answer: dict[str, Any]) -> str | None:
    """The next page's token; None on the last page. A token of the wrong type is a malformed
    answer, never "the last page"."""
    token = answer.get("nextPageToken")
    if token is None or token == "":
        return None
    if not isinstance(token, str):
        raise SourceError(f"unexpected answer: nextPageToken is {type(token).__name__}, not a string")
    return token


def _items(answer: Any, key: str) -> list[Any]:
    if not isinstance(answer, dict):
        raise SourceError("unexpected answer: a page that is not a JSON object")
    items = answer.get(key) or []
    if not isinstance(items, list):
        raise SourceError(f"unexpected answer: {key} is not a list")
    return items


class PagedEndpoints:
    """Page iterators over a client's one-page endpoint methods, which subclasses provide."""

    def list_data_points(self, type_id: str, *, filter: str, page_size: int,
                         page_token: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def daily_roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def list_pages(self, type_id: str, *, filter: str, page_size: int) -> Iterator[Page]:
        """Every page of ``dataTypes/{type_id}/dataPoints`` for ``filter`` (newest first)."""
        return pages(lambda token: self.list_data_points(type_id, filter=filter, page_size=page_size,
                                                         page_token=token), "dataPoints")

    def roll_up_pages(self, type_id: str, body: dict[str, Any]) -> Iterator[Page]:
        """Every page of ``dataPoints:rollUp`` for ``body`` (range, windowSize, pageSize)."""
        return pages(lambda token: self.roll_up(type_id, _with_token(body, token)), "rollupDataPoints")

    def daily_roll_up_pages(self, type_id: str, body: dict[str, Any]) -> Iterator[Page]:
        """Every page of ``dataPoints:dailyRollUp`` for ``body``."""
        return pages(lambda token: self.daily_roll_up(type_id, _with_token(body, token)), "rollupDataPoints")


def _with_token(body: dict[str, Any], token: str | None) -> dict[str, Any]:
    return body if token is None else {**body, "pageToken": token}
