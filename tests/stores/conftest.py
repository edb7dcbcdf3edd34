"""Store tests: the real InfluxDB 1.x and PostgreSQL servers of tests/support/servers.py."""

from support.servers import influx_server, postgres_server

__all__ = ["influx_server", "postgres_server"]
