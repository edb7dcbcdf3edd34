"""Fixtures of the sync tests: the emulator over real HTTP (``emulator_factory``)."""

from fitbit_sync.emulator.testing import emulator_factory  # noqa: F401  (fixture)
