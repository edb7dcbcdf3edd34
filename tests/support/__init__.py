"""Helpers shared by tests in several directories (imported as ``support.<module>``: ``tests/`` is
on ``sys.path`` through the root ``conftest.py``): real servers, a capturing HTTP server, answer
limits, the demo records."""
