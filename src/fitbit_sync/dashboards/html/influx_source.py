"""The dashboard's reader of an InfluxDB 1.x database: ``StoreSource`` over the InfluxDB store
opened only to read (InfluxQL; the server aggregates with ``GROUP BY time()``).

``InfluxSource(url, database, ...)`` connects lazily: the first question checks that the
database exists (InfluxDB 1.6 answers a query on a missing one with just "not executed") and a
server that cannot be reached is a one-line ``StoreError`` without credentials. Daily
measurements carry their local date only implicitly (the point's time), so a day is the point's
date in the store's time zone, as ``stores.influx`` reads them back.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx

from fitbit_sync.dashboards.html.store_source import StoreSource
from fitbit_sync.stores.base import Reader
from fitbit_sync.stores.influx import InfluxStore
from fitbit_sync.stores.influx_api import InfluxV1Api, influxql_ident, influxql_literal

ident = influxql_ident  # an InfluxQL identifier, double-quoted
literal = influxql_literal  # an InfluxQL string literal, single-quoted

__all__ = ["InfluxSource", "ident", "literal", "open_influx_source"]


class InfluxSource(StoreSource):
    """Reads an InfluxDB 1.x database written by fitbit-sync (or by the peer ``Fitbit_Fetch.py``)."""

    store: InfluxStore

    def __init__(self, url: str, database: str, *, username: str = "", password: str = "",
                 zone: ZoneInfo | None = None, timeout: float = 60.0, store: InfluxStore | None = None) -> None:
        if store is None:
            client = httpx.Client(timeout=timeout, follow_redirects=False)
            api = InfluxV1Api(client, url, database, username, password)
            api.read_only = True
            store = InfluxStore(api, None, zone=zone, read_only=True, secrets=(password,))
        super().__init__(store)

    @property
    def url(self) -> str:
        return self.store.api.base_url

    @property
    def database(self) -> str:
        api = self.store.api
        assert isinstance(api, InfluxV1Api)
        return api.database

    @property
    def zone(self) -> ZoneInfo:
        return self.store.zone


def open_influx_source(store: Reader) -> InfluxSource:
    """The dashboard reader of an InfluxDB 1.x store opened to read (``stores/registry.py``)."""
    assert isinstance(store, InfluxStore)
    return InfluxSource(store.api.base_url, "", store=store)
