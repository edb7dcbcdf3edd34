"""The running emulator's mutable state and its Python control surface.

``EmulatorState`` is what ``app.state.emulator`` holds and what the test fixture hands out:
the generator, OAuth server, quota, fault injector, stats and a movable clock. Its methods are
the admin hooks (``POST /_emulator/control`` calls the same ones); they are thread-safe, so a
test thread can steer a server running in another thread.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.datatypes import ALL_READ_SCOPES, DataTypeSpec, with_scope_overrides
from fitbit_sync.emulator.faults import FaultInjector, FaultRule
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.oauth import OAuthServer
from fitbit_sync.emulator.paging import PageTokens
from fitbit_sync.emulator.quota import Quota
from fitbit_sync.emulator.stats import Stats


class EmulatorClock:
    """The configured clock plus an offset that tests can move forward (or back)."""

    def __init__(self, base: Any) -> None:
        self._base = base
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return float(self._base()) + self._offset

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += seconds
        return self()

    def set(self, when: float | datetime) -> float:
        target = when.timestamp() if isinstance(when, datetime) else float(when)
        with self._lock:
            self._offset = target - float(self._base())
        return self()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset


class EmulatorState:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = EmulatorClock(config.clock)
        self.generator = Generator(config)
        self.timeline = self.generator.timeline
        self.types: dict[str, DataTypeSpec] = with_scope_overrides(dict(config.scope_overrides))
        self.oauth = OAuthServer(config, self.clock)
        self.quota = Quota(config.quota_per_minute, config.quota_window_seconds, self.clock)
        self.faults = FaultInjector(config.faults, config.fault_seed)
        self.stats = Stats()
        self.page_tokens = PageTokens(secrets.token_bytes(16))
        self.account_linked = config.account_linked
        self.hide_future_data = config.hide_future_data
        self.rollup_cache: dict[Any, Any] = {}

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock()

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def advance_clock(self, seconds: float) -> float:
        return self.clock.advance(seconds)

    def set_clock(self, when: float | datetime) -> float:
        return self.clock.set(when)

    def visible_until(self) -> float | None:
        return self.clock() if self.hide_future_data else None

    # -- tokens ------------------------------------------------------------------------------
    def issue_tokens(
        self, scopes: Iterable[str] = ALL_READ_SCOPES, *, offline: bool = True, testing: bool | None = None
    ) -> dict[str, Any]:
        """Token-endpoint response for a user who consented to ``scopes`` (no browser needed)."""
        return self.oauth.issue(tuple(scopes), offline=offline, testing=testing)

    def access_token(self, scopes: Iterable[str] = ALL_READ_SCOPES) -> str:
        return str(self.issue_tokens(scopes, offline=False)["access_token"])

    def expire_access_tokens(self) -> int:
        return self.oauth.expire_access_tokens()

    def expire_refresh_tokens(self) -> int:
        return self.oauth.expire_refresh_tokens()

    def revoke_all_tokens(self) -> None:
        self.oauth.revoke_all()

    def set_testing_mode(self, enabled: bool) -> None:
        self.oauth.testing_mode = enabled

    # -- quota, faults, stats ------------------------------------------------------------------
    def set_quota(self, per_minute: int) -> None:
        self.quota.set_limit(per_minute)

    def reset_quota(self) -> None:
        self.quota.reset()

    def set_faults(self, rules: Iterable[FaultRule | Mapping[str, Any]], seed: int | None = None) -> None:
        parsed = [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in rules]
        self.faults.set_rules(parsed, seed)

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> None:
        self.faults.add_rule(rule if isinstance(rule, FaultRule) else FaultRule.from_dict(rule))

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset_stats(self) -> None:
        self.stats.reset()

    def reset(self) -> None:
        """Back to the configured state: clock, quota, faults, stats, consent, switches."""
        self.clock.reset()
        self.quota.reset()
        self.quota.set_limit(self.config.quota_per_minute)
        self.faults.set_rules(self.config.faults, self.config.fault_seed)
        self.stats.reset()
        self.oauth.set_consent()
        self.oauth.testing_mode = self.config.testing_mode_refresh_expiry
        self.oauth.access_token_ttl = self.config.access_token_ttl
        self.account_linked = self.config.account_linked
        self.hide_future_data = self.config.hide_future_data

    # -- the control endpoint ------------------------------------------------------------------
    def control(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a control document (see docs/emulator.md) and return the new ``describe()``."""
        handlers = {
            "reset": lambda v: self.reset() if v else None,
            "advance_clock": lambda v: self.advance_clock(float(v)),
            "set_clock": lambda v: self.set_clock(_parse_time(v)),
            "quota_per_minute": lambda v: self.set_quota(int(v)),
            "reset_quota": lambda v: self.reset_quota() if v else None,
            "faults": lambda v: self.set_faults(list(v)),
            "add_fault": lambda v: self.add_fault(v),
            "clear_faults": lambda v: self.clear_faults() if v else None,
            "fault_seed": lambda v: self.faults.set_rules(self.faults.rules, int(v)),
            "expire_access_tokens": lambda v: self.expire_access_tokens() if v else None,
            "expire_refresh_tokens": lambda v: self.expire_refresh_tokens() if v else None,
            "revoke_all_tokens": lambda v: self.revoke_all_tokens() if v else None,
            "testing_mode": lambda v: self.set_testing_mode(bool(v)),
            "access_token_ttl": lambda v: setattr(self.oauth, "access_token_ttl", int(v)),
            "consent": lambda v: self.oauth.set_consent(
                deny=bool(v.get("deny", False)), grant_only=v.get("grant_only")
            ),
            "account_linked": lambda v: setattr(self, "account_linked", bool(v)),
            "hide_future_data": lambda v: setattr(self, "hide_future_data", bool(v)),
            "reset_stats": lambda v: self.reset_stats() if v else None,
        }
        unknown = set(payload) - set(handlers)
        if unknown:
            raise ValueError(f"unknown control field(s): {', '.join(sorted(unknown))}")
        for key in handlers:  # fixed order: reset first, then the rest
            if key in payload:
                handlers[key](payload[key])
        return self.describe()

    def describe(self) -> dict[str, Any]:
        gen = self.generator
        return {
            "now": self.now_datetime().isoformat().replace("+00:00", "Z"),
            "clock_offset_seconds": self.clock.offset,
            "seed": self.config.seed,
            "first_day": gen.first_day.isoformat(),
            "last_day": gen.last_day.isoformat(),
            "health_user_id": gen.person.health_user_id,
            "legacy_user_id": gen.person.legacy_user_id,
            "client_id": self.config.client_id,
            "time_zones": [{"start": p.start.isoformat(), "zone": p.zone} for p in gen.time_zone_history],
            "quota_per_minute": self.quota.limit,
            "quota_refused": self.quota.refused,
            "faults": self.faults.describe(),
            "oauth": self.oauth.describe(),
            "account_linked": self.account_linked,
            "hide_future_data": self.hide_future_data,
        }


def _parse_time(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace("Z", "+00:00")
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
