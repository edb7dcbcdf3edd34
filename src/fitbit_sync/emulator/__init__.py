"""Google Health API v4 + Google OAuth 2.0 emulator with deterministic synthetic data.

Entry points (imported lazily, so ``import fitbit_sync.emulator`` stays cheap):

- ``create_app(EmulatorConfig(...))``: the Starlette ASGI app (``app.state.emulator``).
- ``run_in_thread(config)``: real HTTP on a free port; returns ``RunningServer`` (``base_url``).
- ``Generator(config)``: the synthetic history, day by day (``generator.points(type, day)``).
- ``fitbit_sync.emulator.testing``: pytest fixtures ``emulator_server``, ``emulator``,
  ``emulator_factory``.

See docs/emulator.md for the covered API, control endpoints and known differences.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EmulatorConfig",
    "EmulatorState",
    "FaultRule",
    "Generator",
    "RunningServer",
    "ZonePeriod",
    "create_app",
    "run_in_thread",
]

_EXPORTS = {
    "EmulatorConfig": "fitbit_sync.emulator.config",
    "ZonePeriod": "fitbit_sync.emulator.config",
    "FaultRule": "fitbit_sync.emulator.faults",
    "Generator": "fitbit_sync.emulator.generator",
    "EmulatorState": "fitbit_sync.emulator.state",
    "create_app": "fitbit_sync.emulator.app",
    "run_in_thread": "fitbit_sync.emulator.server",
    "RunningServer": "fitbit_sync.emulator.server",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)
