"""Grafana tests: the real InfluxDB 1.x and PostgreSQL servers of tests/support/servers.py, and the emulator."""

from fitbit_sync.emulator.testing import emulator_factory
from support.servers import influx_server, postgres_server

__all__ = ["emulator_factory", "influx_server", "postgres_server"]
