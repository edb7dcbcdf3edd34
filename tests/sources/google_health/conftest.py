"""Emulator fixtures (real HTTP on a free port) for the client tests."""

from fitbit_sync.emulator.testing import emulator, emulator_factory, emulator_server  # noqa: F401
