"""Render the dashboard's abstract queries in each store's language.

- ``influxql`` (InfluxDB 1.x): ``SELECT mean("value") AS "x" FROM "m" WHERE $timeFilter GROUP BY time(...)``
- ``flux`` (InfluxDB 2.x): ``from(bucket: v.defaultBucket) |> range(...) |> filter(...) |> aggregateWindow(...)``
- ``influxsql`` (InfluxDB 3.x through Grafana's SQL mode): ``SELECT $__dateBin(time) AS time, avg(...)``
- ``postgresql``: ``SELECT $__timeGroupAlias(time, ...), avg(...) FROM fitbit."m" WHERE $__timeFilter(time)``

Identifiers are always quoted (measurement and field names contain spaces and capitals).
"""

from __future__ import annotations

from fitbit_sync.dashboards.grafana.panels import Query

DIALECTS = ("influxql", "flux", "influxsql", "postgresql")
PG_SCHEMA = "fitbit"
_SQL_AGG = {"mean": "avg", "sum": "sum", "max": "max", "min": "min"}
_INTERVAL_WORDS = {"1m": "1 minute", "5m": "5 minutes", "1h": "1 hour", "1d": "1 day"}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def influxql(query: Query) -> str:
    if query.agg == "none":
        select = ", ".join(f'{quote(f)} AS {quote(alias)}' if f != alias else quote(f) for f, alias in query.fields)
    else:
        select = ", ".join(f"{query.agg}({quote(f)}) AS {quote(alias)}" for f, alias in query.fields)
    conditions = [f"{quote(tag)} = {_literal(value)}" for tag, value in query.where]
    if query.positive:
        conditions.append(f"{quote(query.positive)} > 0")
    conditions.append("$timeFilter")
    text = f"SELECT {select} FROM {quote(query.measurement)} WHERE {' AND '.join(conditions)}"
    groups = []
    if query.agg not in ("none", "last"):
        groups.append(f"time({'$__interval' if query.every == 'auto' else query.every})")
    groups += [quote(tag) for tag in query.group_by]
    if groups:
        text += " GROUP BY " + ", ".join(groups)
    if query.agg not in ("none", "last"):
        text += " fill(none)"
    return text


def flux(query: Query) -> str:
    lines = [
        "from(bucket: v.defaultBucket)",
        "  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)",
        f"  |> filter(fn: (r) => r._measurement == {quote(query.measurement)})",
    ]
    names = [f for f, _ in query.fields] + ([query.positive] if query.positive else [])
    wanted = " or ".join(f"r._field == {quote(f)}" for f in dict.fromkeys(names))
    lines.append(f"  |> filter(fn: (r) => {wanted})")
    for tag, value in query.where:
        flux_value = f'"{value}"' if not value.startswith("$") else '"${' + value[1:] + '}"'
        lines.append(f"  |> filter(fn: (r) => r[{quote(tag)}] == {flux_value})")
    keep = ["_time", *query.group_by]
    if query.table or query.positive:
        lines.append('  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")')
        if query.positive:
            lines.append(f"  |> filter(fn: (r) => r[{quote(query.positive)}] > 0)")
        columns = ", ".join(quote(c) for c in [*keep, *(f for f, _ in query.fields)])
        lines.append(f"  |> keep(columns: [{columns}])")
        renames = ", ".join(f"{quote(f)}: {quote(alias)}" for f, alias in query.fields if f != alias)
        if renames:
            lines.append(f"  |> rename(columns: {{{renames}}})")
        lines.append("  |> group()")
        lines.append('  |> sort(columns: ["_time"], desc: true)' if query.table else '  |> sort(columns: ["_time"])')
        return "\n".join(lines)
    lines.append(f"  |> group(columns: [{', '.join(quote(c) for c in ['_field', *query.group_by])}])")
    if query.agg == "last":
        lines.append('  |> sort(columns: ["_time"])')
        lines.append("  |> last()")
    elif query.agg != "none":
        every = "v.windowPeriod" if query.every == "auto" else query.every
        lines.append(f"  |> aggregateWindow(every: {every}, fn: {query.agg}, createEmpty: false)")
    else:
        lines.append('  |> sort(columns: ["_time"])')
    cases = " else ".join(f'if r._field == {quote(f)} then {quote(alias)}' for f, alias in query.fields)
    lines.append(f'  |> map(fn: (r) => ({{r with _field: {cases} else r._field}}))')
    return "\n".join(lines)


def _sql(query: Query, table: str, bucket: str) -> str:
    columns: list[str]
    if query.agg in ("none", "last"):
        columns = ['time AS "time"']
        columns += [f"{quote(f)} AS {quote(alias)}" for f, alias in query.fields]
    else:
        columns = [bucket]
        columns += [f"{_SQL_AGG[query.agg]}({quote(f)}) AS {quote(alias)}" for f, alias in query.fields]
    columns += [quote(tag) for tag in query.group_by]
    conditions = ["$__timeFilter(time)"]
    conditions += [f"{quote(tag)} = {_sql_literal(value)}" for tag, value in query.where]
    if query.positive:
        conditions.append(f"{quote(query.positive)} > 0")
    text = f"SELECT {', '.join(columns)} FROM {table} WHERE {' AND '.join(conditions)}"
    if query.agg not in ("none", "last"):
        text += " GROUP BY " + ", ".join(["1", *(quote(tag) for tag in query.group_by)])
    if query.agg == "last":
        return text + " ORDER BY 1 DESC LIMIT 1"
    text += " ORDER BY 1 DESC" if query.table else " ORDER BY 1"
    return text


def influxsql(query: Query) -> str:
    if query.every == "auto":
        bucket = "$__dateBin(time) AS time"
    else:
        bucket = (f"date_bin(INTERVAL '{_INTERVAL_WORDS[query.every]}', time, "
                  "TIMESTAMP '1970-01-01T00:00:00Z') AS time")
    return _sql(query, quote(query.measurement), bucket)


def postgres(query: Query) -> str:
    every = "$__interval" if query.every == "auto" else f"'{query.every}'"
    return _sql(query, f"{PG_SCHEMA}.{quote(query.measurement)}", f"$__timeGroupAlias(time, {every})")


RENDER = {"influxql": influxql, "flux": flux, "influxsql": influxsql, "postgresql": postgres}

#: The query of the dashboard variable ``ActivityGPS``: workouts with a GPS track in the range.
ACTIVITY_VARIABLE = {
    "influxql": 'SHOW TAG VALUES FROM "GPS" WITH KEY = "ActivityID" WHERE $timeFilter',
    "flux": ('import "influxdata/influxdb/schema"\n'
             'schema.tagValues(bucket: v.defaultBucket, tag: "ActivityID", '
             'predicate: (r) => r._measurement == "GPS", start: v.timeRangeStart, stop: v.timeRangeStop)'),
    "influxsql": 'SELECT DISTINCT "ActivityID" FROM "GPS" WHERE $__timeFilter(time) ORDER BY 1 DESC',
    "postgresql": f'SELECT DISTINCT "ActivityID" FROM {PG_SCHEMA}."GPS" WHERE $__timeFilter(time) ORDER BY 1 DESC',
}
