"""The client's one page loop (``paging``): every paged read sees the same guards, and callers see
pages (items, last) and never a page token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fitbit_sync.config import Settings
from fitbit_sync.errors import SourceError
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.sources.google_health.paging import MAX_EMPTY_REPEATS, PagedEndpoints, pages


class FakeTokens:
    def access_token(self) -> str:
        return "ya29.token"

    def invalidate(self) -> None:
        pass


def answers(script: dict[str | None, list[dict[str, Any]]]) -> Any:
    """``fetch`` answering each token from its list of answers, in turn (the last one repeats)."""

    def fetch(token: str | None) -> dict[str, Any]:
        queue = script[token]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return fetch


def test_pages_carry_items_and_the_last_flag() -> None:
    fetch = answers({None: [{"dataPoints": [3, 2], "nextPageToken": "a"}], "a": [{"dataPoints": [1]}]})
    got = [(page.items, page.last) for page in pages(fetch, "dataPoints")]
    assert got == [([3, 2], False), ([1], True)]


def test_an_empty_page_may_repeat_its_token_a_few_times() -> None:
    empty = {"dataPoints": [], "nextPageToken": "a"}
    fetch = answers({None: [{"dataPoints": [2], "nextPageToken": "a"}],
                     "a": [empty] * MAX_EMPTY_REPEATS + [{"dataPoints": [1]}]})
    assert [item for page in pages(fetch, "dataPoints") for item in page.items] == [2, 1]
    endless = answers({None: [{"dataPoints": [2], "nextPageToken": "a"}], "a": [empty]})
    with pytest.raises(SourceError, match="repeated a page token"):
        list(pages(endless, "dataPoints"))


@pytest.mark.parametrize("answer, message", [
    ({"dataPoints": [1], "nextPageToken": 7}, "nextPageToken is int"),
    ({"dataPoints": {"a": 1}}, "dataPoints is not a list"),
])
def test_a_malformed_page_fails_the_read(answer: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError, match=message):
        list(pages(answers({None: [answer]}), "dataPoints"))


def test_rollup_pages_send_the_token_in_the_body() -> None:
    class Rollups(PagedEndpoints):
        def __init__(self) -> None:
            self.bodies: list[dict[str, Any]] = []

        def roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
            self.bodies.append(body)
            token = {None: "p2", "p2": "p3", "p3": None}[body.get("pageToken")]
            return {"rollupDataPoints": [{"n": len(self.bodies)}], "nextPageToken": token}

    client = Rollups()
    got = [page.items for page in client.roll_up_pages("floors", {"windowSize": "60s", "pageSize": 1})]
    assert got == [[{"n": 1}], [{"n": 2}], [{"n": 3}]]
    assert [b.get("pageToken") for b in client.bodies] == [None, "p2", "p3"]
    assert all(b["windowSize"] == "60s" for b in client.bodies)


def devices_client(pages_by_token: dict[str | None, list[dict[str, Any]]]) -> HealthApiClient:
    def answer(request: httpx.Request) -> httpx.Response:
        queue = pages_by_token[request.url.params.get("pageToken")]
        return httpx.Response(200, json=queue.pop(0) if len(queue) > 1 else queue[0])

    settings = Settings(client_id="c.apps.googleusercontent.com", api_base_url="https://health.example/")
    return HealthApiClient(settings, FakeTokens(), transport=httpx.MockTransport(answer), sleep=lambda _s: None)


def test_paired_devices_get_the_same_guards_as_data_points() -> None:
    # an empty page handing back its own token ("come back later") is asked again, not the end
    client = devices_client({None: [{"pairedDevices": [{"name": "d1"}], "nextPageToken": "p2"}],
                             "p2": [{"pairedDevices": [], "nextPageToken": "p2"},
                                    {"pairedDevices": [{"name": "d2"}]}]})
    assert [d["name"] for d in client.paired_devices()] == ["d1", "d2"]
    # a page with data repeating a token is a loop: a failure, not a silently shortened list
    looping = devices_client({None: [{"pairedDevices": [{"name": "d1"}], "nextPageToken": "p2"}],
                              "p2": [{"pairedDevices": [{"name": "d2"}], "nextPageToken": "p2"}]})
    with pytest.raises(SourceError, match="repeated a page token"):
        looping.paired_devices()
