/* fitbit-sync built-in dashboard: fetches one JSON payload per time range (or reads the one embedded
 * in a report) and draws every panel with Apache ECharts. No network access beyond this server. */
(function () {
  'use strict';

  const CONFIG = JSON.parse(document.getElementById('fs-config').textContent);
  const REPORT = Boolean(CONFIG.payload);
  const TZ = CONFIG.tz || (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');

  const C = {
    text: '#d8dce3', muted: '#8b93a1', grid: '#262b35', axis: '#3a404c',
    red: '#f2495c', orange: '#ff9830', yellow: '#fade2a', green: '#73bf69', blue: '#5794f2',
    purple: '#b877d9', cyan: '#7dd3fc', indigo: '#3b4bc8', pink: '#ff7383', lightblue: '#8ab8ff',
  };
  const FONT = 'Inter, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';  // as dashboard.css
  const STAGE = [
    {name: 'Deep', color: C.indigo}, {name: 'Light', color: C.blue},
    {name: 'REM', color: C.cyan}, {name: 'Awake', color: C.pink},
  ];
  const CLASSIC = ['Asleep', 'Asleep', 'Restless', 'Awake'];

  // The state tests and the bench read: window.fitbitDashboard.
  const state = {
    payload: null, charts: {}, renders: 0, ready: false, night: null, workout: null,
    panels: {}, errors: [], lastRenderMs: null, firstRenderAt: null, range: null,
  };
  window.fitbitDashboard = state;

  // ---------------------------------------------------------------------------------------------
  // formatting

  const fmtInt = (v) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));
  const fmt1 = (v) => (v == null ? '–' : (Math.round(v * 10) / 10).toLocaleString('en-US'));
  const hm = (minutes) => {
    if (minutes == null) return '–';
    const m = Math.round(minutes);
    return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
  };
  const dateLabel = (iso) => {
    const [y, m, d] = iso.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', {day: 'numeric', month: 'short', timeZone: 'UTC'});
  };
  const dateLong = (iso) => {
    const [y, m, d] = iso.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB',
      {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC'});
  };
  const timeLabel = (ms) => new Date(ms).toLocaleString('en-GB', {
    day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: TZ,
  });
  const clock = (ms) => new Date(ms).toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit', timeZone: TZ});
  // How long ago, as tile HTML: the number big, its unit small (so that "19 min ago" fits a tile).
  const ago = (ms) => {
    const s = Math.max(0, (Date.now() - ms) / 1000);
    if (s < 90) return 'now';
    if (s < 5400) return `${Math.round(s / 60)}<small>min ago</small>`;
    if (s < 36 * 3600) return `${Math.round(s / 3600)}<small>h ago</small>`;
    return `${Math.round(s / 86400)}<small>d ago</small>`;
  };
  // ECharts draws time axes in the browser's zone and knows no other. Instants on a time axis are
  // shifted so that their UTC clock reads the user's (TZ) wall clock, and every chart runs with
  // useUTC: the axes then show TZ's hours and days whatever zone the browser is in.
  const ZONE_PARTS = new Intl.DateTimeFormat('en-US', {timeZone: TZ, hourCycle: 'h23', year: 'numeric', month: 'numeric',
    day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric'});
  const offsets = new Map();
  const QUARTER = 900000;  // zones change their offset on a quarter hour at most
  const wall = (ms) => {
    const key = Math.floor(ms / QUARTER);
    let off = offsets.get(key);
    if (off === undefined) {
      const at = key * QUARTER;
      const x = {};
      for (const part of ZONE_PARTS.formatToParts(new Date(at))) x[part.type] = part.value;
      off = Date.UTC(+x.year, +x.month - 1, +x.day, +x.hour % 24, +x.minute, +x.second) - at;
      offsets.set(key, off);
    }
    return ms + off;
  };
  const wallClock = (ms) => new Date(ms).toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit', timeZone: 'UTC'});
  const ZONE_LABEL_PX = 14;
  const EARTH_RADIUS_M = 6371008.8;
  const SCALE_STEPS_M = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];  // a zone band shorter than this has no label
  const periodWord = (p) => (p && p.period === 'week' ? ' (weekly mean per day)' : '');
  const hasValues = (arr) => Array.isArray(arr) && arr.some((v) => v != null);

  // ---------------------------------------------------------------------------------------------
  // ECharts option helpers

  function base(extra) {
    return Object.assign({
      backgroundColor: 'transparent',
      animation: false,
      useUTC: true,  // time axes hold wall() times
      textStyle: {color: C.text, fontFamily: FONT},  // a real family: canvas ignores a font with 'inherit'
      grid: {left: 48, right: 16, top: 30, bottom: 30, containLabel: false},
      tooltip: {
        trigger: 'axis', backgroundColor: '#1f232b', borderColor: C.axis,
        textStyle: {color: C.text, fontSize: 12}, confine: true,
      },
      legend: {top: 0, right: 4, textStyle: {color: C.muted, fontSize: 11}, itemWidth: 12, itemHeight: 8, icon: 'roundRect'},
    }, extra);
  }
  const axisCommon = {
    axisLine: {lineStyle: {color: C.axis}},
    axisTick: {lineStyle: {color: C.axis}},
    axisLabel: {color: C.muted, fontSize: 11, hideOverlap: true},
    splitLine: {lineStyle: {color: C.grid}},
  };
  function timeAxis(range) {
    return Object.assign({}, axisCommon, {
      type: 'time', splitLine: {show: false},
      min: range ? wall(range.start) : undefined, max: range ? wall(range.end) : undefined,
      axisLabel: Object.assign({}, axisCommon.axisLabel, {
        formatter: {
          year: '{yyyy}', month: '{d} {MMM}', day: '{d} {MMM}', hour: '{HH}:{mm}', minute: '{HH}:{mm}',
          second: '{HH}:{mm}:{ss}', millisecond: '{HH}:{mm}:{ss}',
        },
      }),
    });
  }
  function dayAxis(dates) {
    return Object.assign({}, axisCommon, {
      type: 'category', data: dates, splitLine: {show: false},
      axisLabel: Object.assign({}, axisCommon.axisLabel, {formatter: dateLabel}),
    });
  }
  function valueAxis(name, extra) {
    return Object.assign({}, axisCommon, {
      type: 'value', name: name, nameTextStyle: {color: C.muted, fontSize: 11, align: 'left'},
      nameGap: 10, scale: true,
    }, extra || {});
  }
  const tip = (formatter) => ({trigger: 'axis', backgroundColor: '#1f232b', borderColor: C.axis,
    textStyle: {color: C.text, fontSize: 12}, confine: true, valueFormatter: formatter});

  function bars(p, fields, opts) {
    if (!p || !p.dates || !p.dates.length || !fields.some((f) => hasValues(p[f.key]))) return null;
    const stacked = fields.length > 1 && opts.stack !== false;
    return base({
      tooltip: tip(opts.format || fmtInt),
      legend: fields.length > 1 ? base().legend : {show: false},
      xAxis: dayAxis(p.dates),
      yAxis: valueAxis(opts.unit + periodWord(p), opts.yAxis),
      series: fields.map((f) => ({
        name: f.name, type: 'bar', stack: stacked ? 'total' : undefined, data: p[f.key].map((v) => (v == null ? null : v * (opts.scale || 1))),
        itemStyle: {color: f.color, borderRadius: stacked ? 0 : [2, 2, 0, 0]}, barMaxWidth: 28,
        markLine: f.markLine,
      })),
    });
  }

  function lines(p, fields, opts) {
    if (!p || !p.dates || !p.dates.length || !fields.some((f) => hasValues(p[f.key]))) return null;
    return base({
      tooltip: tip(opts.format || fmt1),
      legend: fields.length > 1 ? base().legend : {show: false},
      xAxis: Object.assign(dayAxis(p.dates), {boundaryGap: false}),
      yAxis: valueAxis(opts.unit + periodWord(p), opts.yAxis),
      series: fields.map((f, i) => ({
        name: f.name, type: 'line', data: p[f.key], connectNulls: false, smooth: 0.2,
        showSymbol: p.dates.length <= 45, symbolSize: 5,
        lineStyle: {width: 2, color: f.color}, itemStyle: {color: f.color},
        areaStyle: i === 0 && opts.area ? {color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
          {offset: 0, color: f.color + '55'}, {offset: 1, color: f.color + '05'}])} : undefined,
      })),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // panels

  function heartRate(p) {
    const hr = p.panels.heart_rate;
    if (!hr || !hr.t.length) return null;
    const ts = hr.t.map(wall);
    const mean = ts.map((t, i) => [t, hr.mean[i]]);
    const lo = ts.map((t, i) => [t, hr.min[i]]);
    const spread = ts.map((t, i) => [t, hr.max[i] - hr.min[i]]);
    const zoneColors = {'Fat Burn': C.yellow, Cardio: C.orange, Peak: C.red};
    // The axis ends just past the data; each band is cut to it and labelled in its middle, only when
    // the band is tall enough for its label (labels of adjacent bands can then never overlap).
    const lows = hr.min.filter((v) => v != null);
    const highs = hr.max.filter((v) => v != null);
    const yMin = Math.max(0, Math.floor((Math.min(...lows) - 5) / 10) * 10);
    const yMax = Math.ceil((Math.max(...highs) + 5) / 10) * 10;
    const chart = state.charts.heart_rate;
    const plotPx = Math.max(60, (chart && chart.getHeight() ? chart.getHeight() : 300) - 60);
    const pxPerBpm = plotPx / Math.max(1, yMax - yMin);
    const zones = (hr.zones || []).filter((z) => z.from < yMax && z.to > yMin).map((z) => {
      const from = Math.max(z.from, yMin);
      const to = Math.min(z.to, yMax);
      return [
        {yAxis: from, name: z.name, itemStyle: {color: zoneColors[z.name] + '1f'},
          label: {show: (to - from) * pxPerBpm >= ZONE_LABEL_PX, color: zoneColors[z.name], fontSize: 10, position: 'insideLeft'}},
        {yAxis: to},
      ];
    });
    const gap = hr.bucket_ms * 3;
    // break the line across gaps (watch off) instead of drawing a straight segment over them
    const withGaps = [];
    for (let i = 0; i < mean.length; i++) {
      if (i && mean[i][0] - mean[i - 1][0] > gap) withGaps.push([mean[i - 1][0] + hr.bucket_ms, null]);
      withGaps.push(mean[i]);
    }
    const minutes = Math.round(hr.bucket_ms / 60000);
    const bucketText = hr.bucket_ms < 60000 ? `${hr.bucket_ms / 1000} s` : minutes < 60 ? `${minutes} min` : `${minutes / 60} h`;
    return base({
      tooltip: tip((v) => (v == null ? '–' : `${Math.round(v)} bpm`)),
      legend: {top: 0, right: 4, textStyle: {color: C.muted, fontSize: 11}, data: ['mean', 'min–max'], itemWidth: 12, itemHeight: 8},
      grid: {left: 48, right: 16, top: 30, bottom: 30},
      xAxis: timeAxis(p.range),
      yAxis: valueAxis(`bpm · ${bucketText} buckets`, {min: yMin, max: yMax,
        axisLabel: Object.assign({}, axisCommon.axisLabel, {showMinLabel: false})}),  // the bottom is off the label grid
      dataZoom: [{type: 'inside', throttle: 50}],
      series: [
        {name: 'min', type: 'line', data: lo, stack: 'band', symbol: 'none', lineStyle: {opacity: 0},
          tooltip: {show: false}, silent: true},
        {name: 'min–max', type: 'line', data: spread, stack: 'band', symbol: 'none', lineStyle: {opacity: 0},
          areaStyle: {color: C.red + '33'}, tooltip: {show: false}, silent: true, itemStyle: {color: C.red + '66'}},
        {name: 'mean', type: 'line', data: withGaps, symbol: 'none', connectNulls: false,
          lineStyle: {color: C.red, width: 1.4}, itemStyle: {color: C.red},
          markArea: {silent: true, data: zones}},
      ],
    });
  }

  function spo2(p) {
    const s = p.panels.spo2;
    if (!s || !hasValues(s.avg)) return null;
    const lower = s.lowerBound.map((v) => v);
    const width = s.upperBound.map((v, i) => (v == null || lower[i] == null ? null : v - lower[i]));
    return base({
      tooltip: tip((v) => (v == null ? '–' : `${fmt1(v)} %`)),
      legend: {top: 0, right: 4, data: ['average', 'confidence'], textStyle: {color: C.muted, fontSize: 11}, itemWidth: 12, itemHeight: 8},
      xAxis: Object.assign(dayAxis(s.dates), {boundaryGap: false}),
      yAxis: valueAxis('%' + periodWord(s), {max: 100}),
      series: [
        {name: 'lower', type: 'line', data: lower, stack: 'ci', symbol: 'none', lineStyle: {opacity: 0}, tooltip: {show: false}, silent: true},
        {name: 'confidence', type: 'line', data: width, stack: 'ci', symbol: 'none', lineStyle: {opacity: 0},
          areaStyle: {color: C.blue + '33'}, itemStyle: {color: C.blue + '66'}, tooltip: {show: false}, silent: true},
        {name: 'average', type: 'line', data: s.avg, smooth: 0.2, showSymbol: s.dates.length <= 45, symbolSize: 5,
          lineStyle: {color: C.blue, width: 2}, itemStyle: {color: C.blue}},
      ],
    });
  }

  function skinTemp(p) {
    const s = p.panels.skin_temp;
    if (!s || !hasValues(s.RelativeValue)) return null;
    return base({
      tooltip: tip((v) => (v == null ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(2)} °C`)),
      legend: {show: false},
      xAxis: dayAxis(s.dates),
      yAxis: valueAxis('°C vs baseline' + periodWord(s), {scale: false}),
      series: [{name: 'relative', type: 'bar', barMaxWidth: 22,
        data: s.RelativeValue.map((v) => (v == null ? null : {value: v, itemStyle: {color: v >= 0 ? C.orange : C.blue, borderRadius: v >= 0 ? [2, 2, 0, 0] : [0, 0, 2, 2]}}))}],
    });
  }

  function hypnogram(p) {
    const nights = (p.panels.hypnogram || {}).nights || [];
    if (!nights.length) return null;
    const night = nights.find((n) => n.date === state.night) || nights[nights.length - 1];
    state.night = night.date;
    if (!night.segments.length) return null;
    const names = night.classic ? ['Asleep', 'Asleep', 'Restless', 'Awake'] : STAGE.map((s) => s.name);
    const rows = night.classic ? ['', 'Asleep', 'Restless', 'Awake'] : names;
    const data = night.segments.map((s) => ({value: [wall(s[0]), wall(s[1]), s[2]], itemStyle: {color: STAGE[s[2]] ? STAGE[s[2]].color : C.blue}}));
    return base({
      tooltip: {trigger: 'item', backgroundColor: '#1f232b', borderColor: C.axis, textStyle: {color: C.text, fontSize: 12},
        formatter: (it) => `${names[it.value[2]] || '?'}<br>${wallClock(it.value[0])} – ${wallClock(it.value[1])} · ${Math.round((it.value[1] - it.value[0]) / 60000)} min`},
      legend: {show: false},
      grid: {left: 60, right: 16, top: 16, bottom: 30},
      xAxis: Object.assign(timeAxis(), {min: wall(night.start), max: wall(night.end)}),
      yAxis: Object.assign({}, axisCommon, {type: 'category', data: rows, splitLine: {show: true, lineStyle: {color: C.grid}},
        axisLabel: {color: C.muted, fontSize: 11}}),
      series: [{
        type: 'custom', name: 'stages', encode: {x: [0, 1], y: 2},
        data: data,
        renderItem: (params, api) => {
          const a = api.coord([api.value(0), api.value(2)]);
          const b = api.coord([api.value(1), api.value(2)]);
          const h = api.size([0, 1])[1] * 0.72;
          const rect = echarts.graphic.clipRectByRect(
            {x: a[0], y: a[1] - h / 2, width: Math.max(1, b[0] - a[0]), height: h},
            {x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height});
          return rect && {type: 'rect', shape: Object.assign(rect, {r: 2}), style: api.style()};
        },
      }],
    });
  }

  function sleepStages(p) {
    const s = p.panels.sleep_stages;
    return bars(s, [
      {key: 'deep', name: 'Deep', color: C.indigo}, {key: 'light', name: 'Light', color: C.blue},
      {key: 'rem', name: 'REM', color: C.cyan}, {key: 'classic', name: 'Asleep (classic)', color: C.lightblue},
      {key: 'awake', name: 'Awake', color: C.pink},
    ].filter((f) => s && hasValues(s[f.key])), {unit: 'hours', scale: 1 / 60, format: (v) => hm(v == null ? null : v * 60),
      yAxis: {scale: false}});
  }

  // The average night: every night counted once whatever its kind (staged or classic); the server
  // averages each part over all nights, so the asleep parts add up to the mean night.
  function sleepShare(p) {
    const a = (p.panels.sleep_stages || {}).average;
    if (!a || !a.nights) return null;
    const parts = [['Deep', a.deep, C.indigo], ['Light', a.light, C.blue], ['REM', a.rem, C.cyan],
      ['Asleep (classic)', a.classic, C.lightblue], ['Awake', a.awake, C.pink]].filter((x) => x[1] > 0);
    if (!parts.length) return null;
    return base({
      tooltip: {trigger: 'item', backgroundColor: '#1f232b', borderColor: C.axis, textStyle: {color: C.text, fontSize: 12},
        formatter: (it) => `${it.name}: ${hm(it.value)} a night (${it.percent.toFixed(0)} %)`},
      legend: {orient: 'vertical', right: 6, top: 'middle', textStyle: {color: C.muted, fontSize: 11},
        formatter: (name) => { const x = parts.find((q) => q[0] === name); return `${name}  ${hm(x[1])}`; }},
      series: [{type: 'pie', radius: ['48%', '72%'], center: ['34%', '52%'], avoidLabelOverlap: true,
        label: {show: true, position: 'center', formatter: () => hm(a.asleep),
          color: C.text, fontSize: 16, fontWeight: 600},
        itemStyle: {borderColor: '#181b21', borderWidth: 2},
        data: parts.map((x) => ({name: x[0], value: Math.round(x[1]), itemStyle: {color: x[2]}}))}],
    });
  }

  function heatmap(h, opts) {
    if (!h || !h.cells || !h.cells.length) return null;
    const max = opts.max || Math.max(1, h.scale_max || Math.max(...h.cells.map((c) => c[2])));
    const hours = Array.from({length: 24}, (_, i) => `${String(i).padStart(2, '0')}:00`);
    // colour by the value cut at the scale's end, the tooltip tells the real one
    const cells = h.cells.map((c) => [c[0], c[1], Math.min(c[2], max), c[2]]);
    return base({
      tooltip: {trigger: 'item', backgroundColor: '#1f232b', borderColor: C.axis, textStyle: {color: C.text, fontSize: 12},
        formatter: (it) => `${h.period === 'week' ? 'week of ' : ''}${dateLong(h.columns[it.value[0]])} ${hours[it.value[1]]}<br>${opts.tip(it.value[3])}`},
      grid: {left: 48, right: 16, top: 10, bottom: 58},
      xAxis: Object.assign(dayAxis(h.columns), {splitArea: {show: false}}),
      yAxis: Object.assign({}, axisCommon, {type: 'category', data: hours, inverse: true, splitLine: {show: false},
        axisLabel: {color: C.muted, fontSize: 10, interval: 2}}),
      visualMap: {min: 0, max: max, dimension: 2, calculable: false, orient: 'horizontal', left: 'center', bottom: 0,
        itemWidth: 10, itemHeight: 160, textStyle: {color: C.muted, fontSize: 10}, inRange: {color: opts.colors},
        text: [typeof opts.high === 'function' ? opts.high(max) : opts.high, opts.low]},
      series: [{type: 'heatmap', data: cells, progressive: 0, emphasis: {itemStyle: {borderColor: '#fff', borderWidth: 1}}}],
    });
  }

  // Weight (kg) and BMI on their own axes; a series without data is neither drawn nor in the legend.
  function weight(p) {
    const w = p.panels.weight;
    const kg = w && hasValues(w.kg);
    const bmi = w && hasValues(w.bmi);
    if (!kg && !bmi) return null;
    const axes = [];
    const series = [];
    if (kg) {
      axes.push(valueAxis('kg'));
      series.push({name: 'Weight (kg)', type: 'line', yAxisIndex: 0, data: w.t.map((t, i) => [wall(t), w.kg[i]]),
        showSymbol: w.t.length <= 60, symbolSize: 5, lineStyle: {color: C.purple, width: 2}, itemStyle: {color: C.purple},
        connectNulls: true});
    }
    if (bmi) {
      axes.push(valueAxis('BMI', kg ? {splitLine: {show: false}, nameTextStyle: {color: C.muted, fontSize: 11, align: 'right'}} : {}));
      series.push({name: 'BMI', type: 'line', yAxisIndex: axes.length - 1, data: w.bmi_t.map((t, i) => [wall(t), w.bmi[i]]),
        showSymbol: !kg && w.bmi_t.length <= 60, symbolSize: 5, lineStyle: {color: C.lightblue, width: kg ? 1 : 2, type: kg ? 'dashed' : 'solid'},
        itemStyle: {color: C.lightblue}, connectNulls: true});
    }
    return base({
      tooltip: tip(fmt1),
      legend: series.length > 1 ? {top: 0, left: 'center', textStyle: {color: C.muted, fontSize: 11}, itemWidth: 12, itemHeight: 8}
        : {show: false},
      grid: {left: 48, right: series.length > 1 ? 44 : 16, top: 30, bottom: 30},
      xAxis: timeAxis(p.range),
      yAxis: axes,
      series: series,
    });
  }

  const BATTERY_MIN_POINTS = 6;  // fewer readings than this (or all in the last tenth of the range): a gauge
  const batteryColor = (v) => (v < 20 ? C.red : v < 50 ? C.yellow : C.green);

  // The battery level over time as steps (a level holds until the next reading); with only a few
  // readings, a line would be a stub at one edge: a gauge of the newest level says more.
  function battery(p) {
    const b = p.panels.battery;
    if (!b || !b.t.length) return null;
    const span = p.range.end - p.range.start;
    if (b.t.length < BATTERY_MIN_POINTS || b.t[b.t.length - 1] - b.t[0] < span / 10) {
      const level = b.last[b.last.length - 1];
      const t = b.t[b.t.length - 1];
      return base({
        tooltip: {show: false},
        legend: {show: false},
        series: [{name: 'battery', type: 'gauge', startAngle: 200, endAngle: -20, min: 0, max: 100, radius: '80%', center: ['50%', '55%'],
          progress: {show: true, width: 14, itemStyle: {color: batteryColor(level)}},
          axisLine: {lineStyle: {width: 14, color: [[1, C.grid]]}},
          axisTick: {show: false}, splitLine: {show: false}, pointer: {show: false}, axisLabel: {show: false},
          title: {show: true, offsetCenter: [0, '62%'], color: C.muted, fontSize: 11},
          detail: {valueAnimation: false, offsetCenter: [0, '0%'], formatter: '{value} %', color: C.text, fontSize: 28, fontWeight: 600},
          data: [{value: Math.round(level), name: `${b.t.length} reading${b.t.length === 1 ? '' : 's'} · newest ${timeLabel(t)}`}]}],
      });
    }
    return base({
      tooltip: tip((v) => (v == null ? '–' : `${Math.round(v)} %`)),
      legend: {show: false},
      xAxis: timeAxis(p.range),
      yAxis: valueAxis('%', {min: 0, max: 100, scale: false}),
      visualMap: {show: false, dimension: 1, pieces: [{lt: 20, color: C.red}, {gte: 20, lt: 50, color: C.yellow}, {gte: 50, color: C.green}]},
      series: [{name: 'battery', type: 'line', data: b.t.map((t, i) => [wall(t), b.last[i]]), symbol: 'none', step: 'end',
        lineStyle: {width: 1.6}, areaStyle: {opacity: 0.12}}],
    });
  }

  function gpsTrack(track, item) {
    if (!track || !track.lat || !track.lat.length) return null;
    const el = state.charts.gps ? state.charts.gps.getDom() : null;
    const w = el ? el.clientWidth || 400 : 400;
    const h = el ? el.clientHeight || 300 : 300;
    let [minLat, maxLat, minLon, maxLon] = [Infinity, -Infinity, Infinity, -Infinity];
    track.lat.forEach((v) => { minLat = Math.min(minLat, v); maxLat = Math.max(maxLat, v); });
    track.lon.forEach((v) => { minLon = Math.min(minLon, v); maxLon = Math.max(maxLon, v); });
    // equal distances on both axes: widen the shorter span to the panel's aspect
    const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
    let spanLat = Math.max(maxLat - minLat, 1e-4) * 1.15;
    let spanLon = Math.max(maxLon - minLon, 1e-4) * 1.15;
    const innerW = w - 20; const innerH = h - 20;
    if (spanLon * k / innerW > spanLat / innerH) spanLat = spanLon * k * innerH / innerW; else spanLon = spanLat / k * innerW / innerH;
    const cLat = (minLat + maxLat) / 2; const cLon = (minLon + maxLon) / 2;
    const pts = track.lat.map((lat, i) => [track.lon[i], lat, track.hr[i], track.speed[i], track.t[i]]);
    const hrs = track.hr.filter((v) => v != null);
    const noAxis = {show: false};
    // a scale bar (a nice length, at most a quarter of the width) and a mark every step_km along the track
    const metresPerPx = spanLon * k * EARTH_RADIUS_M * Math.PI / 180 / innerW;
    const scaleM = SCALE_STEPS_M.filter((m) => m / metresPerPx <= innerW / 4).pop() || SCALE_STEPS_M[0];
    const scalePx = scaleM / metresPerPx;
    const scaleText = scaleM >= 1000 ? `${scaleM / 1000} km` : `${scaleM} m`;
    const dist = track.distance || {marks: []};
    const markText = (km) => (dist.step_km < 1 ? `${Math.round(km * 1000)} m` : `${km} km`);
    const scaleBar = {type: 'group', id: 'scale', left: 14, bottom: 12, silent: true, children: [
      {type: 'rect', id: 'scale-bar', shape: {x: 0, y: 16, width: scalePx, height: 3}, style: {fill: C.text}},
      {type: 'rect', shape: {x: 0, y: 11, width: 1.5, height: 8}, style: {fill: C.text}},
      {type: 'rect', shape: {x: scalePx - 1.5, y: 11, width: 1.5, height: 8}, style: {fill: C.text}},
      {type: 'text', id: 'scale-label', x: 0, y: 0, style: {text: scaleText, fill: C.text, fontSize: 11}},
    ]};
    return base({
      tooltip: {trigger: 'item', backgroundColor: '#1f232b', borderColor: C.axis, textStyle: {color: C.text, fontSize: 12},
        formatter: (it) => `${clock(it.value[4])}<br>${it.value[2] == null ? '' : it.value[2] + ' bpm · '}${it.value[3] == null ? '' : fmt1(it.value[3]) + ' km/h'}`},
      legend: {show: false},
      grid: {left: 10, right: 10, top: 10, bottom: 10},
      graphic: [scaleBar].concat(item ? [{type: 'text', left: 14, top: 12, silent: true, style: {
        text: `${item.name} · ${timeLabel(item.start)}\n${item.distance_km == null ? '' : fmt1(item.distance_km) + ' km · '}` +
          `${hm(item.duration_ms == null ? null : item.duration_ms / 60000)}${item.avg_hr ? ' · ' + item.avg_hr + ' bpm' : ''}`,
        fill: C.text, fontSize: 12, lineHeight: 17}}] : []),
      xAxis: {type: 'value', min: cLon - spanLon / 2, max: cLon + spanLon / 2, axisLine: noAxis, axisTick: noAxis, axisLabel: noAxis,
        splitLine: {lineStyle: {color: '#20242c'}}},
      yAxis: {type: 'value', min: cLat - spanLat / 2, max: cLat + spanLat / 2, axisLine: noAxis, axisTick: noAxis, axisLabel: noAxis,
        splitLine: {lineStyle: {color: '#20242c'}}},
      visualMap: hrs.length ? {type: 'continuous', dimension: 2, seriesIndex: 1, min: Math.min(...hrs), max: Math.max(...hrs),
        inRange: {color: [C.blue, C.yellow, C.red]}, orient: 'vertical', right: 6, top: 10, itemHeight: 90, itemWidth: 8,
        text: ['bpm', ''], textStyle: {color: C.muted, fontSize: 10}, calculable: false} : undefined,
      series: [
        {type: 'line', data: pts, symbol: 'none', lineStyle: {color: '#ffffff30', width: 5}, silent: true, tooltip: {show: false}},
        {type: 'scatter', data: pts, symbolSize: 3.2, large: false},
        {type: 'effectScatter', data: [pts[0]], symbolSize: 9, itemStyle: {color: C.green}, rippleEffect: {scale: 2.2}, silent: true,
          tooltip: {show: false}},
        {type: 'scatter', data: [pts[pts.length - 1]], symbol: 'diamond', symbolSize: 11, itemStyle: {color: '#fff'}, silent: true,
          tooltip: {show: false}},
        {type: 'scatter', name: 'distance marks', data: dist.marks.map((m) => [m[1], m[0], m[2]]), symbolSize: 7, silent: true,
          itemStyle: {color: '#181b21', borderColor: C.text, borderWidth: 1.5}, tooltip: {show: false}, z: 5,
          label: {show: true, position: 'right', distance: 4, color: C.text, fontSize: 10, formatter: (it) => markText(it.value[2])}},
      ],
    });
  }

  // The page: sections of panels, each drawn by an option builder (null: nothing to draw).
  const SECTIONS = [
    {title: 'Heart', panels: [
      {id: 'heart_rate', title: 'Heart rate', unit: 'bpm, with zone bands', cls: 'w12', tall: true, build: heartRate},
      {id: 'resting_hr', title: 'Resting heart rate', unit: 'bpm', build: (p) => lines(p.panels.resting_hr, [{key: 'value', name: 'Resting HR', color: C.orange}], {unit: 'bpm', area: true, format: (v) => (v == null ? '–' : `${Math.round(v)} bpm`)})},
      {id: 'hrv', title: 'Heart-rate variability', unit: 'RMSSD, ms', build: (p) => lines(p.panels.hrv, [{key: 'dailyRmssd', name: 'Daily RMSSD', color: C.green}, {key: 'deepRmssd', name: 'Deep sleep RMSSD', color: C.cyan}], {unit: 'ms', area: true, format: (v) => (v == null ? '–' : `${fmt1(v)} ms`)})},
      {id: 'spo2', title: 'SpO₂', unit: 'nightly %', build: spo2},
      {id: 'breathing', title: 'Breathing rate', unit: 'breaths/min', build: (p) => lines(p.panels.breathing, [{key: 'value', name: 'Breathing rate', color: C.purple}], {unit: 'breaths/min', area: true})},
      {id: 'skin_temp', title: 'Skin temperature', unit: 'nightly vs baseline, °C', build: skinTemp},
      {id: 'hr_zones', title: 'Heart-rate zones', unit: 'minutes a day', build: (p) => bars(p.panels.hr_zones, [{key: 'Fat Burn', name: 'Fat burn', color: C.yellow}, {key: 'Cardio', name: 'Cardio', color: C.orange}, {key: 'Peak', name: 'Peak', color: C.red}], {unit: 'min', format: (v) => (v == null ? '–' : `${Math.round(v)} min`), yAxis: {scale: false}})},
    ]},
    {title: 'Sleep', panels: [
      {id: 'hypnogram', title: 'Sleep stages', unit: 'hypnogram', cls: 'w8', tools: 'night', build: hypnogram},
      {id: 'sleep_share', title: 'Average night', unit: 'time per stage', build: sleepShare,
        note: (p) => { const a = (p.panels.sleep_stages || {}).average; return a && a.nights ? `${hm(a.asleep)} asleep · mean of ${a.nights} night${a.nights === 1 ? '' : 's'}` : 'time per stage'; }},
      {id: 'sleep_stages', title: 'Sleep duration by stage', unit: 'hours a night', cls: 'w6', build: sleepStages},
      {id: 'sleep_regularity', title: 'Sleep regularity', unit: 'minutes asleep per hour', cls: 'w6', tall: true, build: (p) => heatmap(p.panels.sleep_regularity, {max: 60, colors: ['#181b21', '#1c2a5a', C.indigo, C.blue, C.cyan], low: '0', high: '60 min', tip: (v) => `${Math.round(v)} min asleep`})},
    ]},
    {title: 'Activity', panels: [
      {id: 'steps', title: 'Steps', unit: 'daily total', cls: 'w6', build: (p) => bars(p.panels.steps, [{key: 'value', name: 'Steps', color: C.green, markLine: {silent: true, symbol: 'none', data: [{yAxis: 10000}], lineStyle: {color: C.muted, type: 'dashed'}, label: {color: C.muted, fontSize: 10, formatter: '10k', position: 'insideEndTop'}}}], {unit: 'steps', yAxis: {scale: false}})},
      {id: 'steps_heatmap', title: 'Steps by hour', unit: 'steps per hour', cls: 'w6', tall: true, build: (p) => heatmap(p.panels.steps_heatmap, {colors: ['#181b21', '#1d3b24', '#2f7a3b', C.green, C.yellow, C.orange], low: '0', high: (max) => `${fmtInt(max)}+ steps (95th pct.)`, tip: (v) => `${fmtInt(v)} steps`})},
      {id: 'activity_minutes', title: 'Active minutes', unit: 'minutes a day', build: (p) => bars(p.panels.activity_minutes, [{key: 'minutesLightlyActive', name: 'Light', color: C.yellow}, {key: 'minutesFairlyActive', name: 'Fair', color: C.orange}, {key: 'minutesVeryActive', name: 'Very', color: C.red}], {unit: 'min', format: (v) => (v == null ? '–' : `${Math.round(v)} min`), yAxis: {scale: false}})},
      {id: 'distance', title: 'Distance', unit: 'km a day', build: (p) => bars(p.panels.distance, [{key: 'value', name: 'Distance', color: C.blue}], {unit: 'km', format: (v) => (v == null ? '–' : `${fmt1(v)} km`), yAxis: {scale: false}})},
      {id: 'calories', title: 'Calories', unit: 'kcal a day, incl. BMR', build: (p) => bars(p.panels.calories, [{key: 'value', name: 'Calories', color: C.red}], {unit: 'kcal', yAxis: {scale: true}})},
    ]},
    {title: 'Body and device', panels: [
      {id: 'weight', title: 'Weight', unit: 'kg and BMI', cls: 'w6', build: weight},
      {id: 'battery', title: 'Device battery', unit: '%', cls: 'w6', build: battery},
    ]},
  ];

  // ---------------------------------------------------------------------------------------------
  // layout

  function buildLayout() {
    const root = document.getElementById('sections');
    for (const section of SECTIONS) {
      const h = document.createElement('h2');
      h.className = 'section-title';
      h.textContent = section.title;
      root.appendChild(h);
      const grid = document.createElement('div');
      grid.className = 'grid';
      for (const def of section.panels) grid.appendChild(panelElement(def));
      root.appendChild(grid);
    }
    // workouts: a table (HTML) and the GPS track (a chart)
    const h = document.createElement('h2');
    h.className = 'section-title';
    h.textContent = 'Workouts';
    root.appendChild(h);
    const grid = document.createElement('div');
    grid.className = 'workouts';
    const list = panelElement({id: 'workouts', title: 'Recent workouts', unit: 'newest first'}, true);
    const map = panelElement({id: 'gps', title: 'GPS track', unit: 'coloured by heart rate', tall: true});
    grid.appendChild(list);
    grid.appendChild(map);
    root.appendChild(grid);
    for (const el of document.querySelectorAll('.panel[data-chart]')) {
      state.charts[el.dataset.panel] = echarts.init(el.querySelector('.chart'), null, {renderer: 'canvas'});
    }
    window.addEventListener('resize', () => Object.values(state.charts).forEach((c) => c.resize()));
  }

  function panelElement(def, html) {
    const el = document.createElement('section');
    el.className = `panel ${def.cls || ''}`;
    el.dataset.panel = def.id;
    if (!html) el.dataset.chart = '1';
    el.dataset.state = 'loading';
    const head = document.createElement('header');
    head.innerHTML = `<h3></h3><span class="unit"></span><span class="tools"></span>`;
    head.querySelector('h3').textContent = def.title;
    head.querySelector('.unit').textContent = def.unit || '';
    if (def.tools === 'night') {
      const sel = document.createElement('select');
      sel.id = 'night';
      sel.setAttribute('aria-label', 'night');
      sel.addEventListener('change', () => { state.night = sel.value; drawPanel(findDef('hypnogram')); });
      head.querySelector('.tools').appendChild(sel);
    }
    el.appendChild(head);
    const body = document.createElement('div');
    body.className = html ? 'table-wrap' : `chart${def.tall ? ' tall' : ''}`;
    el.appendChild(body);
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = 'No data in this range';
    el.appendChild(empty);
    return el;
  }

  const findDef = (id) => SECTIONS.flatMap((s) => s.panels).find((d) => d.id === id);

  // ---------------------------------------------------------------------------------------------
  // drawing

  function setPanelState(id, drawn, points) {
    const el = document.querySelector(`.panel[data-panel="${id}"]`);
    el.dataset.state = drawn ? 'drawn' : 'empty';
    state.panels[id] = {drawn: drawn, points: points || 0};
    const def = findDef(id);
    if (def && def.note) el.querySelector('header .unit').textContent = def.note(state.payload);
  }

  function countPoints(option) {
    let n = 0;
    for (const s of [].concat(option.series || [])) n += (s.data || []).filter((d) => d != null).length;
    return n;
  }

  function buildOption(def) {
    try {
      return def.build(state.payload);
    } catch (err) {
      console.error(`panel ${def.id}:`, err);
      state.errors.push(`${def.id}: ${err}`);
      return null;
    }
  }

  function paint(def, option) {
    const chart = state.charts[def.id];
    if (!option) {
      chart.clear();
      return;
    }
    const dom = chart.getDom();
    if (chart.getWidth() !== dom.clientWidth || chart.getHeight() !== dom.clientHeight) chart.resize();
    const t0 = performance.now();
    chart.setOption(option, true);
    state.panels[def.id].ms = Math.round(performance.now() - t0);
  }

  function drawPanel(def) {
    const option = buildOption(def);
    setPanelState(def.id, Boolean(option), option ? countPoints(option) : 0);  // visible first: sizes are right
    paint(def, option);
  }

  // Every panel: build all options, show or hide all panels at once (one layout), then paint.
  function drawAll() {
    const defs = SECTIONS.flatMap((s) => s.panels);
    const options = defs.map(buildOption);
    defs.forEach((def, i) => setPanelState(def.id, Boolean(options[i]), options[i] ? countPoints(options[i]) : 0));
    defs.forEach((def, i) => paint(def, options[i]));
  }

  function drawNightPicker() {
    const sel = document.getElementById('night');
    const nights = (state.payload.panels.hypnogram || {}).nights || [];
    sel.innerHTML = '';
    for (const n of nights.slice().reverse()) {
      const o = document.createElement('option');
      o.value = n.date;
      o.textContent = `${dateLabel(n.date)} · ${hm(n.asleep)}`;
      sel.appendChild(o);
    }
    if (nights.length && !nights.some((n) => n.date === state.night)) state.night = nights[nights.length - 1].date;
    sel.value = state.night || '';
    sel.disabled = !nights.length;
  }

  function drawWorkouts() {
    const w = state.payload.panels.workouts || {items: [], tracks: {}};
    const wrap = document.querySelector('.panel[data-panel="workouts"] .table-wrap');
    if (!w.items.length) {
      wrap.innerHTML = '';
      setPanelState('workouts', false);
      state.workout = null;
      drawTrack(null);
      return;
    }
    const table = document.createElement('table');
    table.className = 'wo';
    table.innerHTML = '<thead><tr><th>When</th><th>Activity</th><th class="num">Duration</th><th class="num">Distance</th>' +
      '<th class="num">Calories</th><th class="num">Avg HR</th><th class="num">Steps</th></tr></thead><tbody></tbody>';
    const body = table.querySelector('tbody');
    if (!w.items.some((it) => it.id === state.workout && it.has_gps)) {
      const first = w.items.find((it) => it.has_gps);
      state.workout = first ? first.id : null;
    }
    for (const it of w.items) {
      const tr = document.createElement('tr');
      if (it.has_gps) tr.className = 'gps';
      if (it.id === state.workout) tr.classList.add('sel');
      const cells = [timeLabel(it.start), it.name, hm(it.duration_ms == null ? null : it.duration_ms / 60000),
        it.distance_km == null ? '–' : `${fmt1(it.distance_km)} km`, it.calories == null ? '–' : `${fmtInt(it.calories)} kcal`,
        it.avg_hr == null ? '–' : `${it.avg_hr} bpm`, it.steps ? fmtInt(it.steps) : '–'];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        if (i >= 2) td.className = 'num';
        if (i === 1) {
          const pin = document.createElement('span');
          pin.className = it.has_gps ? 'pin' : 'pin no';
          pin.title = it.has_gps ? 'has a GPS track' : 'no GPS track';
          td.appendChild(pin);
        }
        td.appendChild(document.createTextNode(text));
        tr.appendChild(td);
      });
      if (it.has_gps) {
        tr.addEventListener('click', () => {
          state.workout = it.id;
          body.querySelectorAll('tr').forEach((r) => r.classList.remove('sel'));
          tr.classList.add('sel');
          loadTrack(it);
        });
      }
      body.appendChild(tr);
    }
    wrap.innerHTML = '';
    wrap.appendChild(table);
    setPanelState('workouts', true, w.items.length);
    const selected = w.items.find((it) => it.id === state.workout);
    if (selected) loadTrack(selected); else drawTrack(null);
  }

  async function loadTrack(item) {
    const tracks = state.payload.panels.workouts.tracks || {};
    let track = tracks[item.id];
    if (!track && !REPORT) {
      const q = new URLSearchParams({id: item.id, start: item.start, end: item.end + 60000});
      try {
        const res = await fetch(`api/gps?${q}`);
        if (!res.ok) throw new Error((await res.json()).error || res.statusText);
        track = await res.json();
        tracks[item.id] = track;
      } catch (err) {
        setStatus(`GPS track: ${err.message}`, true);
      }
    }
    if (state.workout === item.id) drawTrack(track || null);
  }

  function drawTrack(track) {
    const chart = state.charts.gps;
    if (!track || !track.lat || !track.lat.length) {
      chart.clear();
      setPanelState('gps', false);
      return;
    }
    const items = state.payload.panels.workouts.items || [];
    setPanelState('gps', true, track.lat.length);  // visible first: the aspect ratio needs its size
    chart.resize();
    chart.setOption(gpsTrack(track, items.find((it) => it.id === track.id)), true);
  }

  function drawStats() {
    const s = state.payload.stats || {};
    const tiles = [
      ['Latest data', s.latest_data == null ? '–' : ago(s.latest_data), s.latest_data == null ? '' : timeLabel(s.latest_data)],
      ['Battery', s.battery ? `${fmtInt(s.battery.value)}<small>%</small>` : '–', s.battery ? `${s.battery.status || ''} · ${timeLabel(s.battery.t)}` : ''],
      ['Resting HR', s.resting_hr ? `${fmtInt(s.resting_hr.value)}<small>bpm</small>` : '–', dayOf(s.resting_hr)],
      ['Steps', s.steps ? fmtInt(s.steps.value) : '–', dayOf(s.steps)],
      ['Sleep', s.sleep ? hm(s.sleep.value) : '–', s.sleep ? `night to ${dateLabel(s.sleep.date)}` : ''],
      ['SpO₂', s.spo2 ? `${fmt1(s.spo2.value)}<small>%</small>` : '–', dayOf(s.spo2)],
      ['HRV', s.hrv ? `${fmtInt(s.hrv.value)}<small>ms</small>` : '–', dayOf(s.hrv)],
      ['Weight', s.weight ? `${fmt1(s.weight.value)}<small>kg</small>` : '–', dayOf(s.weight)],
      ['VO₂ max', s.vo2max ? `${fmt1(s.vo2max.value)}<small>ml/kg/min</small>` : '–', dayOf(s.vo2max)],
    ];
    const root = document.getElementById('stats');
    root.innerHTML = '';
    for (const [label, value, when] of tiles) {
      const el = document.createElement('div');
      el.className = 'stat';
      el.dataset.tile = label;
      el.innerHTML = `<div class="label"></div><div class="value">${value}</div><div class="when"></div>`;
      el.querySelector('.label').textContent = label;
      el.querySelector('.when').textContent = when;
      root.appendChild(el);
    }
  }
  // A tile's day: the local date the server sends (a daily row's own date), never a time converted here.
  const dayOf = (x) => (x && x.date ? dateLabel(x.date) : '');

  function render(payload) {
    const t0 = performance.now();
    state.payload = payload;
    state.range = payload.range;
    drawStats();
    drawNightPicker();
    drawAll();
    drawWorkouts();
    const r = payload.range;
    document.getElementById('subtitle').textContent =
      `${payload.source} · ${dateLabel(r.first_date)} – ${dateLabel(r.last_date)} ${r.last_date.slice(0, 4)}`;
    document.getElementById('zone').textContent = `days and times in ${r.tz}`;
    document.getElementById('from').value = r.first_date;
    document.getElementById('to').value = r.last_date;
    for (const b of document.querySelectorAll('#ranges button[data-range]')) b.classList.toggle('active', b.dataset.range === r.label);
    state.renders += 1;
    state.lastRenderMs = performance.now() - t0;
    if (state.firstRenderAt == null) state.firstRenderAt = performance.now();  // ms since navigation start
    state.ready = true;
    const drawn = Object.values(state.panels).filter((p) => p.drawn).length;
    setStatus(payload.bounds ? `${drawn} panels · built in ${payload.build_ms} ms` : 'No data yet: run fitbit-sync sync, import or demo');
    document.dispatchEvent(new CustomEvent('dashboard:rendered', {detail: {renders: state.renders}}));
  }

  function setStatus(text, error) {
    const el = document.getElementById('status');
    el.textContent = text;
    el.classList.toggle('error', Boolean(error));
  }

  // ---------------------------------------------------------------------------------------------
  // data

  let pending = null;
  async function load(params) {
    if (pending) pending.abort();
    const controller = new AbortController();
    pending = controller;
    setStatus('Loading…');
    const q = new URLSearchParams(Object.assign({}, params, {tz: TZ}));
    const early = window.fsFirst;  // the request the page started before the libraries loaded
    window.fsFirst = null;
    try {
      const res = await (early && early.key === q.toString() ? early.response : fetch(`api/data?${q}`, {signal: controller.signal}));
      const body = await res.json();
      if (!res.ok) throw new Error(body.error || res.statusText);
      if (pending !== controller) return;
      history.replaceState(null, '', `#${new URLSearchParams(params)}`);
      render(body);
    } catch (err) {
      if (err.name === 'AbortError') return;
      setStatus(err.message, true);
    } finally {
      if (pending === controller) pending = null;
    }
  }

  function wire() {
    for (const b of document.querySelectorAll('#ranges button[data-range]')) {
      b.addEventListener('click', () => load({range: b.dataset.range}));
    }
    document.getElementById('apply-custom').addEventListener('click', () => {
      const from = document.getElementById('from').value;
      const to = document.getElementById('to').value;
      if (!from || !to) { setStatus('Pick a first and a last day', true); return; }
      load({from: from, to: to});
    });
  }

  function start() {
    buildLayout();
    if (REPORT) {
      document.body.classList.add('report');
      const span = document.createElement('span');
      span.className = 'report-range';
      span.textContent = 'Report';
      document.getElementById('ranges').prepend(span);
      render(CONFIG.payload);
      return;
    }
    wire();
    const hash = new URLSearchParams(location.hash.slice(1));
    const params = hash.get('from') && hash.get('to') ? {from: hash.get('from'), to: hash.get('to')} : {range: hash.get('range') || CONFIG.range || '30d'};
    load(params);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
