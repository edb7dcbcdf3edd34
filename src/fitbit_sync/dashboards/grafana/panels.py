"""The fitbit-sync Grafana dashboard, once, independent of the query language.

Each panel holds abstract queries (measurement, fields, aggregation, window, tag filters) that
``dialects`` renders as InfluxQL (InfluxDB 1.x), Flux (2.x), SQL (3.x) or PostgreSQL SQL, so the
four dashboards show the same panels. Daily measurements are one point per local day already,
so they are never regrouped by day (which would need the viewer's time zone); intraday streams
are aggregated per window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Agg = str  # "none" (raw points), "last" (the newest point), "mean", "sum", "max", "min"
MAIN_SLEEP = (("isMainSleep", "True"),)


@dataclass(frozen=True)
class Query:
    measurement: str
    fields: tuple[tuple[str, str], ...]  # (field, series name)
    agg: Agg = "none"
    every: str = "auto"  # "auto": the panel's interval; else "1m", "5m", "1h"
    where: tuple[tuple[str, str], ...] = ()  # tag = value ("$ActivityGPS" for the variable)
    group_by: tuple[str, ...] = ()  # tags kept as columns / series
    positive: str | None = None  # a field that must be > 0
    table: bool = False  # rows with one column per field (tables, maps)


def q(measurement: str, *fields: str | tuple[str, str], **kw: object) -> Query:
    pairs = tuple((f, f) if isinstance(f, str) else f for f in fields)
    return Query(measurement, pairs, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Panel:
    title: str
    kind: str  # timeseries, barchart, stat, gauge, piechart, state-timeline, histogram, table, geomap
    queries: tuple[Query, ...]
    width: int = 8
    height: int = 8
    unit: str = ""
    reduce: str = "lastNotNull"  # stat, gauge, piechart
    description: str = ""
    stack: bool = False
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


HR = "HeartRate_Intraday"

ROWS: tuple[Row, ...] = (
    Row("Now", (
        Panel("Heart rate", "timeseries", (q(HR, ("value", "Heart rate"), agg="mean"),), 12, unit="bpm"),
        Panel("Last heart-rate sample", "stat", (q(HR, ("value", "bpm"), agg="last"),), 4, unit="bpm",
              description="The newest heart-rate value: how fresh the data is."),
        Panel("Battery", "stat", (q("DeviceBatteryLevel", ("value", "Battery")),), 4, unit="percent"),
        Panel("Resting heart rate", "gauge", (q("RestingHR", ("value", "Resting HR")),), 4, unit="bpm"),
        Panel("Steps per minute", "timeseries", (q("Steps_Intraday", ("value", "Steps"), agg="sum"),), 12,
              options={"bars": True}),
        Panel("Heart-rate distribution", "histogram", (q(HR, ("value", "bpm per minute"), agg="mean", every="1m"),),
              6, unit="bpm"),
        Panel("Steps today", "gauge", (q("Total Steps", ("value", "Steps")),), 3),
        Panel("SpO2 last night", "gauge", (q("SPO2", ("avg", "SpO2")),), 3, unit="percent"),
        Panel("SpO2 samples", "timeseries", (q("SPO2_Intraday", ("value", "SpO2"), agg="mean", every="5m"),), 12,
              unit="percent"),
        Panel("Device worn", "state-timeline", (q(HR, ("value", "Heart rate"), agg="max", every="5m"),), 12,
              unit="bpm", description="Five-minute windows with heart-rate samples: the tracker was worn."),
    )),
    Row("Sleep", (
        Panel("Sleep stages (main sleep)", "state-timeline",
              (q("Sleep Levels", ("level", "Stage"), where=MAIN_SLEEP),), 16,
              description="0 deep, 1 light, 2 REM, 3 awake"),
        Panel("Asleep last night", "gauge", (q("Sleep Summary", ("minutesAsleep", "Asleep"), where=MAIN_SLEEP),),
              4, unit="m"),
        Panel("Sleep efficiency", "gauge", (q("Sleep Summary", ("efficiency", "Efficiency"), where=MAIN_SLEEP),),
              4, unit="percent"),
        Panel("Sleep per night", "barchart", (q("Sleep Summary", ("minutesDeep", "Deep"), ("minutesLight", "Light"),
                                                ("minutesREM", "REM"), ("minutesAwake", "Awake"),
                                                where=MAIN_SLEEP),), 12, unit="m", stack=True),
        Panel("Average sleep", "piechart", (q("Sleep Summary", ("minutesDeep", "Deep"), ("minutesLight", "Light"),
                                              ("minutesREM", "REM"), ("minutesAwake", "Awake"),
                                              where=MAIN_SLEEP),), 6, unit="m", reduce="mean"),
        Panel("Efficiency per night", "barchart",
              (q("Sleep Summary", ("efficiency", "Efficiency"), where=MAIN_SLEEP),), 6, unit="percent"),
        Panel("Relative skin temperature", "barchart",
              (q("Skin Temperature Variation", ("RelativeValue", "Relative to baseline")),), 8, unit="celsius"),
        Panel("Sleep regularity", "timeseries", (q("Sleep Levels", ("level", "Stage"), agg="mean", every="1h"),), 8,
              description="Mean stage per hour: when you sleep, night after night."),
        Panel("Breathing rate by sleep stage", "timeseries",
              (q("BreathingRate_Sleep", ("full", "Full night"), ("deep", "Deep"), ("light", "Light"),
                 ("rem", "REM")),), 8, unit="breaths/min"),
    )),
    Row("Daily vitals", (
        Panel("Resting heart rate", "timeseries", (q("RestingHR", ("value", "Resting HR")),), 8, unit="bpm"),
        Panel("Heart-rate variability", "timeseries",
              (q("HRV", ("dailyRmssd", "Daily RMSSD"), ("deepRmssd", "Deep sleep RMSSD")),), 8, unit="ms"),
        Panel("SpO2", "timeseries", (q("SPO2", ("avg", "Average"), ("lowerBound", "Lower bound"),
                                       ("upperBound", "Upper bound")),), 8, unit="percent"),
        Panel("Breathing rate", "timeseries", (q("BreathingRate", ("value", "Breathing rate")),), 8,
              unit="breaths/min"),
        Panel("Skin temperature", "timeseries", (q("Skin Temperature", ("nightly", "Nightly"),
                                                   ("baseline", "Baseline")),), 8, unit="celsius"),
        Panel("HRV details", "timeseries", (q("HRV Details", ("entropy", "Entropy"),
                                              ("nonRemHR", "Non-REM heart rate")),), 8),
        Panel("Heart-rate variability samples", "timeseries",
              (q("HRV_Intraday", ("rmssd", "RMSSD"), ("sdnn", "SDNN"), agg="mean"),), 12, unit="ms"),
        Panel("Cardio fitness (VO2 max)", "timeseries", (q("VO2 Max", ("vo2Max", "VO2 max")),
                                                          q("VO2 Max Samples", ("value", "VO2 max sample"))), 12,
              unit="ml/kg/min"),
    )),
    Row("Activity", (
        Panel("Steps per day", "barchart", (q("Total Steps", ("value", "Steps")),), 8),
        Panel("Steps per hour", "timeseries", (q("Steps_Intraday", ("value", "Steps"), agg="sum", every="1h"),), 16,
              options={"bars": True}),
        Panel("Active minutes", "barchart", (q("Activity Minutes", ("minutesLightlyActive", "Light"),
                                               ("minutesFairlyActive", "Fair"),
                                               ("minutesVeryActive", "Intense")),), 8, unit="m", stack=True),
        Panel("Average day", "piechart", (q("Activity Minutes", ("minutesSedentary", "Sedentary"),
                                            ("minutesLightlyActive", "Light"), ("minutesFairlyActive", "Fair"),
                                            ("minutesVeryActive", "Intense")),), 8, unit="m", reduce="mean"),
        Panel("Heart-rate zones", "barchart", (q("HR zones", ("Fat Burn", "Fat burn"), ("Cardio", "Cardio"),
                                                 ("Peak", "Peak")),), 8, unit="m", stack=True),
        Panel("Active zone minutes", "barchart", (q("Active Zone Minutes", ("fatBurn", "Fat burn"),
                                                    ("cardio", "Cardio"), ("peak", "Peak")),), 8, unit="m",
              stack=True),
        Panel("Distance", "barchart", (q("distance", ("value", "Distance")),), 8, unit="lengthkm"),
        Panel("Calories", "barchart", (q("calories", ("value", "Total"),), q("Activity Calories",
                                                                            ("value", "Active"))), 8, unit="kcal"),
        Panel("Floors", "barchart", (q("floors", ("value", "Floors")),), 6),
        Panel("Elevation gain", "barchart", (q("elevation", ("value", "Elevation")),), 6, unit="lengthm"),
        Panel("Distance and calories per minute", "timeseries",
              (q("Distance_Intraday", ("value", "Metres"), agg="sum"), q("Calories_Intraday", ("value", "Active kcal"),
                                                                         agg="sum"),
               q("Elevation_Intraday", ("value", "Elevation m"), agg="sum"),
               q("Floors_Intraday", ("value", "Floors"), agg="sum")), 12),
        Panel("Heart-rate zone thresholds", "timeseries",
              (q("HR Zone Thresholds", ("lightMin", "Light"), ("moderateMin", "Moderate"), ("vigorousMin", "Vigorous"),
                 ("peakMin", "Peak")),), 12, unit="bpm"),
    )),
    Row("Body", (
        Panel("Weight", "timeseries", (q("weight", ("kg", "Weight")),), 6, unit="masskg"),
        Panel("BMI", "timeseries", (q("bmi", ("value", "BMI")),), 6),
        Panel("Body fat", "timeseries", (q("BodyFat", ("value", "Body fat")),), 6, unit="percent"),
        Panel("Height", "stat", (q("height", ("value", "Height")),), 6, unit="lengthm"),
    )),
    Row("Workouts", (
        Panel("Workouts", "table", (q("Activity Records", ("duration", "Duration"), ("distance", "Distance km"),
                                      ("calories", "Calories"), ("steps", "Steps"),
                                      ("AverageHeartRate", "Average HR"), group_by=("ActivityName",),
                                      table=True),), 24),
        Panel("Route", "geomap", (q("GPS", ("lat", "lat"), ("lon", "lon"), ("heart_rate", "heart_rate"),
                                    ("speed_kph", "speed_kph"), where=(("ActivityID", "$ActivityGPS"),),
                                    positive="distance", table=True),), 12, 12),
        Panel("Heart rate on the route", "timeseries",
              (q("GPS", ("heart_rate", "Heart rate"), where=(("ActivityID", "$ActivityGPS"),), positive="distance"),),
              12, 6, unit="bpm"),
        Panel("Speed on the route", "timeseries",
              (q("GPS", ("speed_kph", "Speed"), ("altitude", "Altitude"), where=(("ActivityID", "$ActivityGPS"),),
                 positive="distance"),), 12, 6, unit="velocitykmh"),
    )),
    Row("Device", (
        Panel("Battery level", "timeseries", (q("DeviceBatteryLevel", ("value", "Battery")),), 24, 6, unit="percent"),
    )),
)
