"""The user's account resources: identity, profile, settings, paired devices, IRN profile.

Settings report the time zone the user is in *now* (per the clock and the zone history); the
tracker's battery drains over ~5.5 days and recharges, so it changes as the clock moves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fitbit_sync.emulator.datatypes import ACTIVITY_SCOPE
from fitbit_sync.emulator.generator.render import SCALE_NAME, TRACKER_NAME, date_json, rfc3339
from fitbit_sync.emulator.generator.rng import derive
from fitbit_sync.emulator.state import EmulatorState
from fitbit_sync.emulator.timeline import date_to_days

TRACKER_FEATURES = [
    "ACTIVE_MINUTES", "ACTIVE_ZONE_MINUTES", "AUTOSTRIDE", "CALORIES", "DISTANCE", "ELEVATION",
    "INACTIVITY_ALERTS", "SEDENTARY_TIME", "STEPS", "AUTORUN", "HEART_RATE", "BAT_SIGNAL", "SPO2",
    "NIGHTTIME_OXYGEN_SATURATION", "SKIN_TEMPERATURE", "SLEEP", "SMART_SLEEP", "GPS", "CONNECTED_GPS",
    "GROK", "ALARMS", "APP_SYNC", "TIME_SERVICE",
]  # fmt: skip
BATTERY_CYCLE = 5.5 * 86400


def identity(state: EmulatorState) -> dict[str, Any]:
    person = state.generator.person
    return {"name": "users/me/identity", "healthUserId": person.health_user_id, "legacyUserId": person.legacy_user_id}


def profile(state: EmulatorState, scopes: tuple[str, ...]) -> dict[str, Any]:
    person = state.generator.person
    body: dict[str, Any] = {
        "name": f"users/{person.health_user_id}/profile",
        "age": person.age,
        "membershipStartDate": date_json(date_to_days(person.membership_start)),
    }
    if ACTIVITY_SCOPE in scopes:  # stride lengths need the activity scope too
        body["autoWalkingStrideLengthMm"] = person.walk_stride_mm
        body["autoRunningStrideLengthMm"] = person.run_stride_mm
    return body


def settings(state: EmulatorState) -> dict[str, Any]:
    now = int(state.now())
    tl = state.timeline
    zone = tl.zone_name_at(now)
    european = zone.startswith("Europe/")
    return {
        "name": f"users/{state.generator.person.health_user_id}/settings",
        "autoStrideEnabled": True,
        "distanceUnit": "DISTANCE_UNIT_KILOMETERS" if european else "DISTANCE_UNIT_MILES",
        "foodLanguageCode": "de-DE" if european else "en-US",
        "glucoseUnit": "GLUCOSE_UNIT_MG_DL",
        "heightUnit": "HEIGHT_UNIT_CENTIMETERS",
        "languageLocale": "de_DE" if european else "en_US",
        "strideLengthRunningType": "STRIDE_LENGTH_TYPE_AUTO",
        "strideLengthWalkingType": "STRIDE_LENGTH_TYPE_AUTO",
        "swimUnit": "SWIM_UNIT_METERS",
        "temperatureUnit": "TEMPERATURE_UNIT_CELSIUS",
        "timeZone": zone,
        "utcOffset": f"{tl.offset_at(now)}s",
        "waterUnit": "WATER_UNIT_ML",
        "weightUnit": "WEIGHT_UNIT_KILOGRAMS",
    }


def irn_profile(state: EmulatorState) -> dict[str, Any]:
    return {"name": f"users/{state.generator.person.health_user_id}/irnProfile"}


def _battery_status(level: int) -> str:
    if level >= 50:
        return "High"
    if level >= 25:
        return "Medium"
    if level >= 8:
        return "Low"
    return "Empty"


def device_ids(state: EmulatorState) -> tuple[str, str]:
    seed = state.config.seed
    return str(100000000 + derive(seed, "tracker") % 900000000), str(100000000 + derive(seed, "scale") % 900000000)


def paired_devices(state: EmulatorState) -> list[dict[str, Any]]:
    seed = state.config.seed
    now = state.now()
    uid = state.generator.person.health_user_id
    tracker_id, scale_id = device_ids(state)
    phase = derive(seed, "battery") % int(BATTERY_CYCLE)
    drained = ((now + phase) % BATTERY_CYCLE) / BATTERY_CYCLE
    level = max(3, round(100 - 97 * drained))
    last_sync = int(now) - int(now) % 900 - derive(seed, "sync") % 300
    tracker = {
        "name": f"users/{uid}/pairedDevices/{tracker_id}",
        "deviceType": "TRACKER",
        "deviceVersion": TRACKER_NAME,
        "batteryStatus": _battery_status(level),
        "batteryLevel": level,
        "lastSyncTime": rfc3339(last_sync),
        "macAddress": _mac(seed, "tracker"),
        "features": list(TRACKER_FEATURES),
    }
    scale_level = max(5, round(95 - 80 * ((now / 86400 + derive(seed, "scale-battery") % 300) % 300) / 300))
    scale = {
        "name": f"users/{uid}/pairedDevices/{scale_id}",
        "deviceType": "SCALE",
        "deviceVersion": SCALE_NAME,
        "batteryStatus": _battery_status(scale_level),
        "batteryLevel": scale_level,
        "lastSyncTime": rfc3339(_last_weigh_in(state, now) or last_sync),
        "macAddress": _mac(seed, "scale"),
    }
    return [tracker, scale]


def _last_weigh_in(state: EmulatorState, now: float) -> int | None:
    gen = state.generator
    day = min(gen.last_day, state.timeline.day_of(int(now)))
    for _ in range(60):
        if day < gen.first_day:
            break
        w = gen.plan(day).weigh_in
        if w is not None and not w.manual and w.time <= now:
            return w.time + 40
        day -= timedelta(days=1)
    return None


def _mac(seed: int, what: str) -> str:
    value = derive(seed, "mac", what)
    return ":".join(f"{(value >> (8 * k)) & 0xFF:02X}" for k in range(6))
