"""The measurements we store: names, tags, typed fields and units.

Names, tags and fields follow the InfluxDB schema that the most used Fitbit Grafana dashboards
query (``HeartRate_Intraday``, ``RestingHR``, ``Sleep Levels``, ...), so those dashboards work on
our data unchanged; what the Google Health API adds lives in new measurements. Every field has
one fixed type, so InfluxDB can never see an int/float conflict. ``docs/schema.md`` is the
human-readable form of this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["int", "float", "str", "bool"]
KeyKind = Literal["time", "date"]

DEVICE_TAG = "Device"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FieldType
    unit: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement (table): key is (time or local date) plus every tag."""

    name: str
    fields: tuple[FieldSpec, ...]
    key: KeyKind = "time"
    tags: tuple[str, ...] = (DEVICE_TAG,)
    description: str = ""
    peer: bool = False  # queried by the peer Fitbit Grafana dashboards
    field_types: dict[str, FieldType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_types", {f.name: f.type for f in self.fields})

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _f(name: str, type_: FieldType, unit: str = "", description: str = "") -> FieldSpec:
    return FieldSpec(name, type_, unit, description)


_MEASUREMENTS: tuple[Measurement, ...] = (
    # --- intraday streams -------------------------------------------------------------------
    Measurement("HeartRate_Intraday", (_f("value", "int", "bpm"),), peer=True,
                description="Heart-rate samples at native resolution (about 5 s, 1 s in workouts)."),
    Measurement("Steps_Intraday", (_f("value", "int", "steps"),), peer=True,
                description="Steps per minute; worn idle minutes are true zeros."),
    Measurement("Distance_Intraday", (_f("value", "float", "m"),),
                description="Distance per minute."),
    Measurement("Calories_Intraday", (_f("value", "float", "kcal"),),
                description="Active energy burned per minute (excludes basal)."),
    Measurement("Elevation_Intraday", (_f("value", "float", "m"),),
                description="Elevation gain per minute."),
    Measurement("Floors_Intraday", (_f("value", "int", "floors"),),
                description="Floors climbed per minute (from 1-minute rollups)."),
    Measurement("SPO2_Intraday", (_f("value", "float", "%"),), peer=True,
                description="Blood-oxygen saturation samples."),
    Measurement("HRV_Intraday", (
        _f("rmssd", "float", "ms"), _f("sdnn", "float", "ms"),
        _f("hf", "float", "ms²"), _f("lf", "float", "ms²"),
    ), description="Heart-rate variability samples (5-minute windows during sleep)."),
    # --- daily values (key: the user's local date) ---------------------------------------------
    Measurement("RestingHR", (_f("value", "int", "bpm"),), key="date", peer=True),
    Measurement("HRV", (
        _f("dailyRmssd", "float", "ms"), _f("deepRmssd", "float", "ms"),
        _f("entropy", "float"), _f("nonRemHR", "int", "bpm"),
    ), key="date", peer=True),
    Measurement("SPO2", (
        _f("avg", "float", "%"), _f("lowerBound", "float", "%"), _f("upperBound", "float", "%"),
        _f("stddev", "float", "%"),
    ), key="date", peer=True, description="Nightly SpO2; the bounds are a confidence interval."),
    Measurement("BreathingRate", (_f("value", "float", "breaths/min"),), key="date", peer=True),
    Measurement("Skin Temperature Variation", (
        _f("RelativeValue", "float", "°C", "nightly minus baseline"),
        _f("nightly", "float", "°C"), _f("baseline", "float", "°C"), _f("stddev30d", "float", "°C"),
    ), key="date", peer=True),
    Measurement("VO2 Max", (
        _f("vo2Max", "float", "ml/kg/min"), _f("cardioFitnessLevel", "str"), _f("estimated", "bool"),
    ), key="date"),
    Measurement("HR Zone Thresholds", (
        _f("lightMin", "int", "bpm"), _f("moderateMin", "int", "bpm"),
        _f("vigorousMin", "int", "bpm"), _f("peakMin", "int", "bpm"), _f("peakMax", "int", "bpm"),
    ), key="date"),
    Measurement("Total Steps", (_f("value", "int", "steps"),), key="date", peer=True),
    Measurement("distance", (_f("value", "float", "km"),), key="date", peer=True),
    Measurement("calories", (_f("value", "float", "kcal", "total incl. BMR"),), key="date", peer=True),
    Measurement("Activity Calories", (_f("value", "float", "kcal"),), key="date"),
    Measurement("floors", (_f("value", "int", "floors"),), key="date"),
    Measurement("elevation", (_f("value", "float", "m"),), key="date"),
    Measurement("Activity Minutes", (
        _f("minutesSedentary", "int", "min"), _f("minutesLightlyActive", "int", "min"),
        _f("minutesFairlyActive", "int", "min"), _f("minutesVeryActive", "int", "min"),
    ), key="date", peer=True),
    Measurement("HR zones", (
        _f("Normal", "float", "min"), _f("Fat Burn", "float", "min"),
        _f("Cardio", "float", "min"), _f("Peak", "float", "min"),
    ), key="date", peer=True, description="Minutes per heart-rate zone (LIGHT/MODERATE/VIGOROUS/PEAK)."),
    Measurement("Active Zone Minutes", (
        _f("fatBurn", "int", "min"), _f("cardio", "int", "min"), _f("peak", "int", "min"),
        _f("total", "int", "min"),
    ), key="date"),
    # --- body ----------------------------------------------------------------------------------
    Measurement("weight", (
        _f("value", "float", "lb", "pounds, as the peer dashboard converts with *0.453592"),
        _f("kg", "float", "kg"),
    ), peer=True),
    Measurement("BodyFat", (_f("value", "float", "%"),)),
    # --- sleep ---------------------------------------------------------------------------------
    Measurement("Sleep Summary", (
        _f("efficiency", "float", "%", "minutesAsleep / minutesInBed (Google has no efficiency)"),
        _f("minutesAfterWakeup", "int", "min"), _f("minutesAsleep", "int", "min"),
        _f("minutesToFallAsleep", "int", "min"), _f("minutesInBed", "int", "min"),
        _f("minutesAwake", "int", "min"), _f("minutesLight", "int", "min"),
        _f("minutesREM", "int", "min"), _f("minutesDeep", "int", "min"),
        _f("sleepType", "str", "", "STAGES or CLASSIC"), _f("endTime", "int", "ms", "epoch ms"),
    ), tags=(DEVICE_TAG, "isMainSleep"), peer=True),
    Measurement("Sleep Levels", (
        _f("level", "int", "", "0 deep, 1 light/asleep, 2 rem/restless, 3 wake/awake"),
        _f("stage", "str"), _f("duration", "int", "s"),
    ), tags=(DEVICE_TAG, "isMainSleep"), peer=True),
    Measurement("BreathingRate_Sleep", (
        _f("full", "float", "breaths/min"), _f("deep", "float", "breaths/min"),
        _f("light", "float", "breaths/min"), _f("rem", "float", "breaths/min"),
    ), description="Breathing rate per sleep stage, one row per sleep."),
    # --- workouts --------------------------------------------------------------------------------
    Measurement("Activity Records", (
        _f("duration", "int", "ms", "elapsed"), _f("activeDuration", "int", "ms"),
        _f("calories", "float", "kcal"), _f("distance", "float", "km"), _f("steps", "int", "steps"),
        _f("averageHeartRate", "int", "bpm"), _f("elevationGain", "float", "m"),
        _f("activeZoneMinutes", "int", "min"), _f("hasGps", "bool"), _f("ActivityID", "str"),
    ), tags=(DEVICE_TAG, "ActivityName"), peer=True),
    Measurement("GPS", (
        _f("lat", "float", "°"), _f("lon", "float", "°"), _f("altitude", "float", "m"),
        _f("distance", "float", "km", "cumulative"), _f("heart_rate", "int", "bpm"),
        _f("speed_kph", "float", "km/h"),
    ), tags=(DEVICE_TAG, "ActivityID"), peer=True),
    # --- devices ---------------------------------------------------------------------------------
    Measurement("DeviceBatteryLevel", (_f("value", "float", "%"), _f("status", "str")), peer=True),
)

MEASUREMENTS: dict[str, Measurement] = {m.name: m for m in _MEASUREMENTS}


def measurement(name: str) -> Measurement:
    """The measurement called ``name``; KeyError names the unknown measurement."""
    try:
        return MEASUREMENTS[name]
    except KeyError:
        raise KeyError(f"unknown measurement {name!r}") from None
