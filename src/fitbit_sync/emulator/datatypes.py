"""The emulator's own table of Google Health API data types.

Kept independent of the client's catalogue on purpose: the emulator is the second opinion that
catches a wrong page size, filter member or scope in the client. Facts come from the discovery
document (revision 20261030) and the live observations collected in the project's API notes.

Each ``DataTypeSpec`` says: path id (kebab), JSON key (camel), filter id (snake), record kind,
read scope, supported operations, filter members, page sizes and rollup range caps, and whether
the emulator generates data for it (the others answer with empty results).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPE_PREFIX = "https://www.googleapis.com/auth/googlehealth."

INTERVAL = "interval"
SAMPLE = "sample"
DAILY = "daily"
SESSION = "session"
ROLLUP_ONLY = "rollup_only"

LIST, RECONCILE, GET, ROLLUP, DAILY_ROLLUP, TCX = (
    "list",
    "reconcile",
    "get",
    "rollUp",
    "dailyRollUp",
    "exportExerciseTcx",
)

FILTER_MEMBERS = {
    INTERVAL: ("interval.start_time", "interval.civil_start_time"),
    SAMPLE: ("sample_time.physical_time", "sample_time.civil_time"),
    DAILY: ("date",),
    SESSION: ("interval.civil_start_time",),
    ROLLUP_ONLY: ("interval.start_time", "interval.civil_start_time"),
}


@dataclass(frozen=True)
class DataTypeSpec:
    path_id: str
    json_key: str
    kind: str
    scope: str  # scope suffix without ".readonly"
    ops: frozenset[str]
    generated: bool = False
    heavy: bool = False  # needs the per-minute/per-second day model
    identifiable: bool = False  # points carry a resource name; dataPoints.get works
    true_zero: bool = False
    family_filter: bool = True  # dataSourceFamily accepted by list
    rollup_cap_days: int = 90
    daily_page_max: int = 90
    daily_rejects_page_size: bool = False  # observed live for total-calories
    filter_members: tuple[str, ...] = field(default=())
    or_allowed: bool = False
    lower_bound_only: bool = False

    @property
    def filter_id(self) -> str:
        return self.path_id.replace("-", "_")

    @property
    def list_page_default(self) -> int:
        return 25 if self.path_id in ("exercise", "sleep") else 1440

    @property
    def list_page_max(self) -> int:
        return 25 if self.path_id in ("exercise", "sleep") else 10000

    @property
    def read_scope(self) -> str:
        return f"{SCOPE_PREFIX}{self.scope}.readonly"

    @property
    def write_scope(self) -> str:
        return f"{SCOPE_PREFIX}{self.scope}.writeonly"

    @property
    def members(self) -> tuple[str, ...]:
        return self.filter_members or FILTER_MEMBERS[self.kind]


def _t(
    path_id: str,
    json_key: str,
    kind: str,
    scope: str,
    ops: str,
    **kw: object,
) -> DataTypeSpec:
    return DataTypeSpec(path_id, json_key, kind, scope, frozenset(ops.split()), **kw)  # type: ignore[arg-type]


A, H, S = "activity_and_fitness", "health_metrics_and_measurements", "sleep"
ALL = f"{LIST} {RECONCILE} {ROLLUP} {DAILY_ROLLUP}"
LR = f"{LIST} {RECONCILE}"
HR14 = {"rollup_cap_days": 14, "daily_page_max": 14}

TYPES: dict[str, DataTypeSpec] = {
    s.path_id: s
    for s in [
        # -- activity --------------------------------------------------------------------
        _t("steps", "steps", INTERVAL, A, ALL, generated=True, heavy=True, true_zero=True),
        _t("distance", "distance", INTERVAL, A, ALL, generated=True, heavy=True, true_zero=True),
        _t(
            "floors",
            "floors",
            INTERVAL,
            A,
            f"{RECONCILE} {ROLLUP} {DAILY_ROLLUP}",
            generated=True,
            heavy=True,
            true_zero=True,
        ),
        _t("altitude", "altitude", INTERVAL, A, ALL, generated=True, heavy=True, true_zero=True),
        _t(
            "total-calories",
            "totalCalories",
            ROLLUP_ONLY,
            A,
            f"{ROLLUP} {DAILY_ROLLUP}",
            generated=True,
            heavy=True,
            true_zero=True,
            daily_rejects_page_size=True,
            **HR14,
        ),
        _t("active-energy-burned", "activeEnergyBurned", INTERVAL, A, ALL, generated=True, heavy=True),
        _t("basal-energy-burned", "basalEnergyBurned", INTERVAL, A, LR),
        _t("active-minutes", "activeMinutes", INTERVAL, A, ALL, generated=True, heavy=True, **HR14),
        _t("active-zone-minutes", "activeZoneMinutes", INTERVAL, A, ALL, generated=True, heavy=True),
        _t("activity-level", "activityLevel", INTERVAL, A, f"{LR} {ROLLUP}"),
        _t("sedentary-period", "sedentaryPeriod", INTERVAL, A, ALL, generated=True, heavy=True),
        _t("time-in-heart-rate-zone", "timeInHeartRateZone", INTERVAL, A, ALL, generated=True, heavy=True),
        _t(
            "calories-in-heart-rate-zone",
            "caloriesInHeartRateZone",
            ROLLUP_ONLY,
            A,
            f"{ROLLUP} {DAILY_ROLLUP}",
            generated=True,
            heavy=True,
            **HR14,
        ),
        _t("swim-lengths-data", "swimLengthsData", INTERVAL, A, ALL, generated=True),
        _t("vo2-max", "vo2Max", SAMPLE, A, LR, generated=True),
        _t("run-vo2-max", "runVo2Max", SAMPLE, A, ALL, generated=True),
        _t("daily-vo2-max", "dailyVo2Max", DAILY, A, LR, generated=True),
        _t("exercise", "exercise", SESSION, A, f"{LR} {GET} {TCX}", generated=True, identifiable=True),
        # -- heart and vitals -------------------------------------------------------------
        _t("heart-rate", "heartRate", SAMPLE, H, ALL, generated=True, heavy=True, **HR14),
        _t("daily-resting-heart-rate", "dailyRestingHeartRate", DAILY, H, LR, generated=True),
        _t("daily-heart-rate-zones", "dailyHeartRateZones", DAILY, H, LR, generated=True),
        _t("heart-rate-variability", "heartRateVariability", SAMPLE, H, LR, generated=True),
        _t("daily-heart-rate-variability", "dailyHeartRateVariability", DAILY, H, LR, generated=True),
        _t("oxygen-saturation", "oxygenSaturation", SAMPLE, H, LR, generated=True),
        _t("daily-oxygen-saturation", "dailyOxygenSaturation", DAILY, H, LR, generated=True),
        _t("respiratory-rate-sleep-summary", "respiratoryRateSleepSummary", SAMPLE, H, LR, generated=True),
        _t("daily-respiratory-rate", "dailyRespiratoryRate", DAILY, H, LR, generated=True),
        _t("daily-sleep-temperature-derivations", "dailySleepTemperatureDerivations", DAILY, H, LR, generated=True),
        _t("core-body-temperature", "coreBodyTemperature", SAMPLE, H, f"{ALL} {GET}", identifiable=True),
        _t("weight", "weight", SAMPLE, H, f"{ALL} {GET}", generated=True, identifiable=True),
        _t("body-fat", "bodyFat", SAMPLE, H, f"{ALL} {GET}", generated=True, identifiable=True),
        _t("height", "height", SAMPLE, H, f"{LR} {GET}", generated=True, identifiable=True),
        _t("blood-glucose", "bloodGlucose", SAMPLE, H, f"{ALL} {GET}", identifiable=True),
        _t(
            "electrocardiogram",
            "electrocardiogram",
            SESSION,
            "ecg",
            f"{LIST} {GET}",
            identifiable=True,
            filter_members=("interval.start_time",),
            lower_bound_only=True,
        ),
        _t("irregular-rhythm-notification", "irregularRhythmNotification", SESSION, "irn", LIST),
        # -- sleep --------------------------------------------------------------------------
        _t(
            "sleep",
            "sleep",
            SESSION,
            S,
            f"{LR} {GET}",
            generated=True,
            identifiable=True,
            family_filter=False,
            filter_members=("interval.end_time", "interval.civil_end_time"),
            or_allowed=True,
        ),
        # -- nutrition, reproductive health, symptoms, mood (no synthetic data) -------------
        _t("nutrition-log", "nutritionLog", SESSION, "nutrition", f"{ALL} {GET}", identifiable=True),
        _t("hydration-log", "hydrationLog", SESSION, "nutrition", f"{ALL} {GET}", identifiable=True),
        _t(
            "food",
            "food",
            SESSION,
            "nutrition",
            f"{LIST} {GET}",
            identifiable=True,
            family_filter=False,
            filter_members=(),
        ),
        _t(
            "food-measurement-unit",
            "foodMeasurementUnit",
            SESSION,
            "nutrition",
            f"{LIST} {GET}",
            family_filter=False,
            filter_members=(),
        ),
        _t("menstrual-period", "menstrualPeriod", INTERVAL, "reproductive_health", LIST),
        _t("ovulation-test", "ovulationTest", SAMPLE, "reproductive_health", LIST),
        _t("symptoms", "symptoms", SAMPLE, "logged_symptoms", LIST),
        _t("moods", "moods", SAMPLE, "mindfulness", LIST),
    ]
}

# Food types take no time filter at all.
NO_FILTER_TYPES = frozenset({"food", "food-measurement-unit"})

KNOWN_SCOPE_SUFFIXES = (
    "activity_and_fitness.readonly",
    "activity_and_fitness.writeonly",
    "health_metrics_and_measurements.readonly",
    "health_metrics_and_measurements.writeonly",
    "sleep.readonly",
    "sleep.writeonly",
    "location.readonly",
    "nutrition.readonly",
    "nutrition.writeonly",
    "profile.readonly",
    "profile.writeonly",
    "settings.readonly",
    "settings.writeonly",
    "ecg.readonly",
    "irn.readonly",
    "reproductive_health.readonly",
    "reproductive_health.writeonly",
    "logged_symptoms.readonly",
    "logged_symptoms.writeonly",
    "mindfulness.readonly",
    "mindfulness.writeonly",
)
HEALTH_SCOPES = frozenset(SCOPE_PREFIX + s for s in KNOWN_SCOPE_SUFFIXES)
OTHER_KNOWN_SCOPES = frozenset(
    {
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
    }
)
ALL_READ_SCOPES = tuple(SCOPE_PREFIX + s for s in KNOWN_SCOPE_SUFFIXES if s.endswith(".readonly"))
LOCATION_SCOPE = SCOPE_PREFIX + "location.readonly"
PROFILE_SCOPE = SCOPE_PREFIX + "profile.readonly"
SETTINGS_SCOPE = SCOPE_PREFIX + "settings.readonly"
IRN_SCOPE = SCOPE_PREFIX + "irn.readonly"
ACTIVITY_SCOPE = SCOPE_PREFIX + "activity_and_fitness.readonly"


def get_spec(path_id: str) -> DataTypeSpec | None:
    return TYPES.get(path_id)


def with_scope_overrides(overrides: dict[str, str]) -> dict[str, DataTypeSpec]:
    """The table with some data types moved to another scope (e.g. heart-rate -> activity)."""
    from dataclasses import replace

    out = dict(TYPES)
    for path_id, scope in overrides.items():
        if path_id not in out:
            raise ValueError(f"unknown data type {path_id!r} in scope overrides")
        out[path_id] = replace(out[path_id], scope=scope.removesuffix(".readonly"))
    return out
