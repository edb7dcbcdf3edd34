"""The measurements we store: names, tags, typed fields, units and where each value comes from.

Names, tags, fields *and field types* follow the InfluxDB schema that the most used Fitbit
Grafana dashboards query and that the peer script ``Fitbit_Fetch.py`` writes (``HeartRate_Intraday``,
``RestingHR``, ``Sleep Levels``, ...), so those dashboards work on our data unchanged and our
points can share a database (and its shards) with points the peer script wrote earlier. What the
Google Health API adds lives in new fields or new measurements, never in a way that changes what
a peer query returns. Every field has one fixed type, so InfluxDB can never see an int/float
conflict. ``docs/schema.md`` is generated from this module (``python -m fitbit_sync.schema_doc``).
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
    source: str = ""  # the Google Health API member it is filled from ("" = see the measurement)


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement (table): key is (time or local date) plus every tag."""

    name: str
    fields: tuple[FieldSpec, ...]
    key: KeyKind = "time"
    tags: tuple[str, ...] = (DEVICE_TAG,)
    description: str = ""
    peer: bool = False  # queried by the peer Fitbit Grafana dashboards
    source: str = ""  # Google Health data type(s) and Takeout files that fill it
    field_types: dict[str, FieldType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_types", {f.name: f.type for f in self.fields})

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _f(name: str, type_: FieldType, unit: str = "", description: str = "", source: str = "") -> FieldSpec:
    return FieldSpec(name, type_, unit, description, source)


_MEASUREMENTS: tuple[Measurement, ...] = (
    # --- intraday streams -------------------------------------------------------------------
    Measurement("HeartRate_Intraday", (_f("value", "int", "bpm", source="heartRate.beatsPerMinute"),), peer=True,
                description="Heart-rate samples at native resolution (about 5 s, 1 s in workouts).",
                source="heart-rate (list); Takeout heart_rate-*.json, heart_rate_*.csv"),
    Measurement("Steps_Intraday", (_f("value", "int", "steps", source="steps.count"),), peer=True,
                description="Steps per minute; worn idle minutes are true zeros.",
                source="steps (list); Takeout steps-*.json, steps_*.csv"),
    Measurement("Distance_Intraday", (_f("value", "float", "m", source="distance.millimeters / 1000"),),
                description="Distance per minute.", source="distance (list); Takeout distance-*.json"),
    Measurement("Calories_Intraday", (_f("value", "float", "kcal", source="activeEnergyBurned.kcal"),),
                description="Active energy burned per minute (excludes basal).",
                source="active-energy-burned (list); Takeout calories-*.json (incl. BMR)"),
    Measurement("Elevation_Intraday", (_f("value", "float", "m", source="altitude.gainMillimeters / 1000"),),
                description="Elevation gain per minute.", source="altitude (list)"),
    Measurement("Floors_Intraday", (_f("value", "int", "floors", source="floors countSum"),),
                description="Floors climbed per minute (from 1-minute rollups).", source="floors (rollUp 60s)"),
    Measurement("SPO2_Intraday", (_f("value", "float", "%", source="oxygenSaturation.percentage"),), peer=True,
                description="Blood-oxygen saturation samples.",
                source="oxygen-saturation (list); Takeout Minute SpO2 - *.csv"),
    Measurement("HRV_Intraday", (
        _f("rmssd", "float", "ms", source="heartRateVariability.rootMeanSquareOfSuccessiveDifferencesMilliseconds"),
        _f("sdnn", "float", "ms", source="heartRateVariability.standardDeviationMilliseconds"),
        _f("hf", "float", "ms²", source="heartRateVariability.metadata.highFrequencyPower"),
        _f("lf", "float", "ms²", source="heartRateVariability.metadata.lowFrequencyPower"),
    ), description="Heart-rate variability samples (5-minute windows during sleep).",
        source="heart-rate-variability (list); Takeout Heart Rate Variability Details - *.csv"),
    # --- daily values (key: the user's local date) ---------------------------------------------
    Measurement("RestingHR", (_f("value", "int", "bpm", source="dailyRestingHeartRate.beatsPerMinute"),),
                key="date", peer=True,
                source="daily-resting-heart-rate (list); Takeout resting_heart_rate-*.json"),
    Measurement("HRV", (
        _f("dailyRmssd", "float", "ms", source="dailyHeartRateVariability.averageHeartRateVariabilityMilliseconds"),
        _f("deepRmssd", "float", "ms",
           source="dailyHeartRateVariability.deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds"),
    ), key="date", peer=True,
        description="Nightly HRV. Only the two peer fields: the peer Flux dashboard labels every other field "
                    "of this measurement 'Deep', so Google's extra daily HRV values live in 'HRV Details'.",
        source="daily-heart-rate-variability (list); Takeout Daily Heart Rate Variability Summary - *.csv"),
    Measurement("HRV Details", (
        _f("entropy", "float", "", source="dailyHeartRateVariability.entropy"),
        _f("nonRemHR", "int", "bpm", source="dailyHeartRateVariability.nonRemHeartRateBeatsPerMinute"),
    ), key="date", description="Daily HRV values the Google Health API adds to the peer 'HRV' fields.",
        source="daily-heart-rate-variability (list); Takeout Daily Heart Rate Variability Summary - *.csv"),
    Measurement("SPO2", (
        _f("avg", "float", "%", source="dailyOxygenSaturation.averagePercentage"),
        _f("lowerBound", "float", "%", source="dailyOxygenSaturation.lowerBoundPercentage"),
        _f("upperBound", "float", "%", source="dailyOxygenSaturation.upperBoundPercentage"),
        _f("stddev", "float", "%", source="dailyOxygenSaturation.standardDeviationPercentage"),
    ), key="date", peer=True,
        description="Nightly SpO2; the bounds are a confidence interval, not the peer's min/max.",
        source="daily-oxygen-saturation (list); Takeout Daily SpO2 - *.csv"),
    Measurement("BreathingRate", (_f("value", "float", "breaths/min", source="dailyRespiratoryRate.breathsPerMinute"),),
                key="date", peer=True,
                source="daily-respiratory-rate (list); Takeout Daily Respiratory Rate Summary - *.csv"),
    Measurement("Skin Temperature Variation", (
        _f("RelativeValue", "float", "°C", "nightly minus baseline",
           source="dailySleepTemperatureDerivations.nightlyTemperatureCelsius - baselineTemperatureCelsius"),
    ), key="date", peer=True,
        description="Only the peer field: the peer Flux dashboard plots every field of this measurement as "
                    "one series, so the absolute temperatures live in 'Skin Temperature'.",
        source="daily-sleep-temperature-derivations (list); Takeout Computed Temperature - *.csv"),
    Measurement("Skin Temperature", (
        _f("nightly", "float", "°C", source="dailySleepTemperatureDerivations.nightlyTemperatureCelsius"),
        _f("baseline", "float", "°C", source="dailySleepTemperatureDerivations.baselineTemperatureCelsius"),
        _f("stddev30d", "float", "°C", source="dailySleepTemperatureDerivations.relativeNightlyStddev30dCelsius"),
    ), key="date", description="Nightly skin temperature and its 30-day baseline.",
        source="daily-sleep-temperature-derivations (list); Takeout Computed Temperature - *.csv"),
    Measurement("VO2 Max", (
        _f("vo2Max", "float", "ml/kg/min", source="dailyVo2Max.vo2Max"),
        _f("cardioFitnessLevel", "str", "", "POOR … EXCELLENT", source="dailyVo2Max.cardioFitnessLevel"),
        _f("estimated", "bool", source="dailyVo2Max.estimated"),
    ), key="date", source="daily-vo2-max (list); Takeout demographic_vo2_max-*.json"),
    Measurement("VO2 Max Samples", (
        _f("value", "float", "ml/kg/min", source="vo2Max.vo2Max"),
        _f("method", "str", "", "how it was measured: FITBIT_RUN, GOOGLE_DEMOGRAPHIC, COOPER_TEST, ...",
           source="vo2Max.measurementMethod"),
    ), description="VO2 max as measured or estimated, at the time it was (the daily cardio fitness score is "
                   "'VO2 Max').", source="vo2-max (list)"),
    Measurement("HR Zone Thresholds", (
        _f("lightMin", "int", "bpm", source="dailyHeartRateZones LIGHT minBeatsPerMinute"),
        _f("moderateMin", "int", "bpm", source="dailyHeartRateZones MODERATE minBeatsPerMinute"),
        _f("vigorousMin", "int", "bpm", source="dailyHeartRateZones VIGOROUS minBeatsPerMinute"),
        _f("peakMin", "int", "bpm", source="dailyHeartRateZones PEAK minBeatsPerMinute"),
        _f("peakMax", "int", "bpm", source="dailyHeartRateZones PEAK maxBeatsPerMinute"),
    ), key="date", source="daily-heart-rate-zones (list)"),
    Measurement("Total Steps", (
        _f("value", "float", "steps", "a float, as the peer script writes it", source="steps countSum"),
    ), key="date", peer=True, source="steps (dailyRollUp); Takeout steps-*.json summed per local day"),
    Measurement("distance", (_f("value", "float", "km", source="distance millimetersSum / 1e6"),), key="date",
                peer=True, source="distance (dailyRollUp)"),
    Measurement("calories", (_f("value", "float", "kcal", "total incl. BMR", source="totalCalories kcalSum"),),
                key="date", peer=True, source="total-calories (dailyRollUp)"),
    Measurement("Activity Calories", (_f("value", "float", "kcal", source="activeEnergyBurned kcalSum"),),
                key="date", source="active-energy-burned (dailyRollUp)"),
    Measurement("floors", (_f("value", "int", "floors", source="floors countSum"),), key="date",
                source="floors (dailyRollUp)"),
    Measurement("elevation", (_f("value", "float", "m", source="altitude gainMillimetersSum / 1000"),),
                key="date", source="altitude (dailyRollUp)"),
    Measurement("Activity Minutes", (
        _f("minutesSedentary", "int", "min", source="sedentaryPeriod durationSum"),
        _f("minutesLightlyActive", "int", "min", source="activeMinutes LIGHT activeMinutesSum"),
        _f("minutesFairlyActive", "int", "min", source="activeMinutes MODERATE activeMinutesSum"),
        _f("minutesVeryActive", "int", "min", source="activeMinutes VIGOROUS activeMinutesSum"),
    ), key="date", peer=True,
        source="active-minutes, sedentary-period (dailyRollUp); Takeout *_minutes-*.json"),
    Measurement("HR zones", (
        _f("Normal", "int", "min", source="timeInHeartRateZones LIGHT duration"),
        _f("Fat Burn", "int", "min", source="timeInHeartRateZones MODERATE duration"),
        _f("Cardio", "int", "min", source="timeInHeartRateZones VIGOROUS duration"),
        _f("Peak", "int", "min", source="timeInHeartRateZones PEAK duration"),
    ), key="date", peer=True, description="Whole minutes per heart-rate zone (integers, as the peer script writes).",
        source="time-in-heart-rate-zone (dailyRollUp); Takeout time_in_heart_rate_zones-*.json"),
    Measurement("Active Zone Minutes", (
        _f("fatBurn", "int", "min", source="activeZoneMinutes sumInFatBurnHeartZone"),
        _f("cardio", "int", "min", source="activeZoneMinutes sumInCardioHeartZone"),
        _f("peak", "int", "min", source="activeZoneMinutes sumInPeakHeartZone"),
        _f("total", "int", "min", "fat burn + 2 × (cardio + peak)", source="sum of the three"),
    ), key="date", source="active-zone-minutes (dailyRollUp); Takeout Active Zone Minutes - *.csv"),
    # --- body ----------------------------------------------------------------------------------
    Measurement("weight", (
        _f("value", "float", "lb", "pounds, as the peer dashboard converts with *0.453592",
           source="weight.weightGrams / 453.59237"),
        _f("kg", "float", "kg", source="weight.weightGrams / 1000"),
    ), peer=True, source="weight (list); Takeout weight-*.json"),
    Measurement("bmi", (_f("value", "float", "kg/m²", source="weight / height² (height data type)"),), peer=True,
                description="Body-mass index. The Google Health API has no BMI: computed at each weigh-in from "
                            "its weight and the latest height entered at or before it (two decimals); "
                            "Takeout weight logs carry it.",
                source="weight + height (list); Takeout weight-*.json (bmi)"),
    Measurement("height", (_f("value", "float", "m", source="height.heightMillimeters / 1000"),),
                description="Height as entered by hand (every few months), at the time it was entered.",
                source="height (list)"),
    Measurement("BodyFat", (_f("value", "float", "%", source="bodyFat.percentage"),),
                source="body-fat (list); Takeout weight-*.json (fat)"),
    # --- sleep ---------------------------------------------------------------------------------
    Measurement("Sleep Summary", (
        _f("efficiency", "int", "%", "round(100 × minutesAsleep / minutesInBed): Google has no efficiency",
           source="computed"),
        _f("minutesAfterWakeup", "int", "min", source="sleep.summary.minutesAfterWakeUp"),
        _f("minutesAsleep", "int", "min", source="sleep.summary.minutesAsleep"),
        _f("minutesToFallAsleep", "int", "min", source="sleep.summary.minutesToFallAsleep"),
        _f("minutesInBed", "int", "min", source="sleep.summary.minutesInSleepPeriod"),
        _f("minutesAwake", "int", "min", source="sleep.summary.minutesAwake"),
        _f("minutesLight", "int", "min", "LIGHT, or ASLEEP for classic sleep", source="stagesSummary"),
        _f("minutesREM", "int", "min", "REM, or RESTLESS for classic sleep", source="stagesSummary"),
        _f("minutesDeep", "int", "min", "DEEP, 0 for classic sleep", source="stagesSummary"),
        _f("sleepType", "str", "", "STAGES or CLASSIC", source="sleep.type"),
        _f("endTime", "int", "ms", "epoch ms", source="sleep.interval.endTime"),
    ), tags=(DEVICE_TAG, "isMainSleep"), peer=True,
        description="One row per sleep at its start time; tag isMainSleep is 'True' or 'False'.",
        source="sleep (list); Takeout sleep-*.json"),
    Measurement("Sleep Levels", (
        _f("level", "int", "", "0 deep, 1 light/asleep, 2 rem/restless, 3 wake/awake", source="sleep.stages[].type"),
        _f("stage", "str", "", "the stage name, lower case", source="sleep.stages[].type"),
        _f("duration_seconds", "int", "s", source="sleep.stages[] endTime - startTime"),
    ), tags=(DEVICE_TAG, "isMainSleep"), peer=True,
        description="One row per stage at its start, plus a level-3 row at the end of the sleep (as the peer "
                    "script writes, so state timelines end).",
        source="sleep (list); Takeout sleep-*.json"),
    Measurement("BreathingRate_Sleep", (
        _f("full", "float", "breaths/min", source="respiratoryRateSleepSummary.fullSleepStats.breathsPerMinute"),
        _f("deep", "float", "breaths/min", source="respiratoryRateSleepSummary.deepSleepStats.breathsPerMinute"),
        _f("light", "float", "breaths/min", source="respiratoryRateSleepSummary.lightSleepStats.breathsPerMinute"),
        _f("rem", "float", "breaths/min", source="respiratoryRateSleepSummary.remSleepStats.breathsPerMinute"),
    ), description="Breathing rate per sleep stage, one row per sleep.",
        source="respiratory-rate-sleep-summary (list); Takeout Respiratory Rate Summary - *.csv"),
    # --- workouts --------------------------------------------------------------------------------
    Measurement("Activity Records", (
        _f("duration", "int", "ms", "elapsed", source="exercise.interval endTime - startTime"),
        _f("ActiveDuration", "int", "ms", source="exercise.activeDuration"),
        _f("calories", "int", "kcal", source="exercise.metricsSummary.caloriesKcal"),
        _f("distance", "float", "km", source="exercise.metricsSummary.distanceMillimeters / 1e6"),
        _f("steps", "int", "steps", source="exercise.metricsSummary.steps"),
        _f("AverageHeartRate", "int", "bpm", source="exercise.metricsSummary.averageHeartRateBeatsPerMinute"),
        _f("elevationGain", "float", "m", source="exercise.metricsSummary.elevationGainMillimeters / 1000"),
        _f("activeZoneMinutes", "int", "min", source="exercise.metricsSummary.activeZoneMinutes"),
        _f("hasGps", "bool", source="exercise.exerciseMetadata.hasGps"),
        _f("ActivityID", "str", "", "the GPS measurement's ActivityID tag for this workout", source="computed"),
    ), tags=(DEVICE_TAG, "ActivityName"), peer=True,
        description="One row per workout at its start; tag ActivityName is the display name (Walk, Run, ...).",
        source="exercise (list); Takeout exercise-*.json"),
    Measurement("GPS", (
        _f("lat", "float", "°", source="TCX LatitudeDegrees"), _f("lon", "float", "°", source="TCX LongitudeDegrees"),
        _f("altitude", "float", "m", source="TCX AltitudeMeters"),
        _f("distance", "float", "m", "cumulative, metres as in the TCX", source="TCX DistanceMeters"),
        _f("heart_rate", "int", "bpm", source="TCX HeartRateBpm"),
        _f("speed_kph", "float", "km/h", "from consecutive distance and time", source="computed"),
    ), tags=(DEVICE_TAG, "ActivityID"), peer=True,
        description="Track points of workouts with GPS; tag ActivityID is '<start UTC ISO>-<ActivityName>'.",
        source="exercise:exportExerciseTcx; Takeout *.tcx"),
    # --- devices ---------------------------------------------------------------------------------
    Measurement("DeviceBatteryLevel", (
        _f("value", "float", "%", source="pairedDevices.batteryLevel"),
        _f("status", "str", "", "High, Medium, Low, Empty", source="pairedDevices.batteryStatus"),
    ), peer=True, description="Battery level at the device's last sync.", source="pairedDevices"),
)

MEASUREMENTS: dict[str, Measurement] = {m.name: m for m in _MEASUREMENTS}

#: Fields early fitbit-sync versions stored under another name: ``{measurement: {field: former name}}``.
#: Stores read a field from its former column when a database has only that one.
FORMER_NAMES: dict[str, dict[str, str]] = {
    "Sleep Levels": {"duration_seconds": "duration"},
    "Activity Records": {"AverageHeartRate": "averageHeartRate"},
}

#: Fields the peer script wrote that no source fills any more: ``{measurement: {field: why}}``.
RETIRED_FIELDS: dict[str, dict[str, str]] = {
    "SPO2": {
        "min": "Google Health has only a confidence interval (lowerBound), not the night's minimum",
        "max": "Google Health has only a confidence interval (upperBound), not the night's maximum",
    },
    "HR zones": {
        "activeZoneMinutes": "now in the 'Active Zone Minutes' measurement (total)",
        "fatBurnActiveZoneMinutes": "now in 'Active Zone Minutes' (fatBurn)",
        "cardioActiveZoneMinutes": "now in 'Active Zone Minutes' (cardio)",
        "peakActiveZoneMinutes": "now in 'Active Zone Minutes' (peak)",
    },
    "HRV_Intraday": {"coverage": "the Google Health API has no HRV coverage value"},
}


def measurement(name: str) -> Measurement:
    """The measurement called ``name``; KeyError names the unknown measurement."""
    try:
        return MEASUREMENTS[name]
    except KeyError:
        raise KeyError(f"unknown measurement {name!r}") from None
