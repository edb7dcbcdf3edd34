"""Stores: where records go. SQLite is the default; InfluxDB 1/2/3 and PostgreSQL are options."""

from fitbit_sync.stores.base import Coverage, MeasurementStats, Store

__all__ = ["Coverage", "MeasurementStats", "Store"]
