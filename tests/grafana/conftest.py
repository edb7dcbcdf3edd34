"""Grafana tests: the real InfluxDB 1.x and PostgreSQL servers of tests/servers.py."""

from servers import influx_server, postgres_server

__all__ = ["influx_server", "postgres_server"]
