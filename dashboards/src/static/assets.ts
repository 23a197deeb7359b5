/**
 * The static page's style sheet and script, as text the renderer inlines.
 *
 * The script builds each chart from its card's `data-series` (see series.ts) with the
 * inlined chart.js, and marks the card `data-rendered="true"` once chart.js has drawn it.
 * Every figure's text is written by the renderer; the script only formats axis ticks.
 */

/** Grid unit and gap (px): a card of layout height h is h units and h - 1 gaps tall. */
export const GRID_UNIT = 34;
export const GRID_GAP = 14;

export const PAGE_CSS = `
:root { --unit: ${GRID_UNIT}px; --gap: ${GRID_GAP}px; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #f1f5f9; --card: #ffffff; --accent: #2563eb; --up: #15803d; --down: #b91c1c; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 1440px; margin: 0 auto; padding: 20px 24px 32px; }
.page-head { margin-bottom: 16px; }
.page-head h1 { margin: 0 0 4px; font-size: 24px; letter-spacing: -0.01em; }
.page-head .desc { margin: 0 0 6px; color: #334155; max-width: 1100px; }
.page-head .meta { margin: 0; color: var(--muted); font-size: 13px; }
.page-head .as-of { color: var(--ink); font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(24, minmax(0, 1fr)); grid-auto-rows: minmax(var(--unit), auto); gap: var(--gap); }
.card { grid-column: var(--c) / span var(--w); grid-row: var(--r) / span var(--h); min-width: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; display: flex; flex-direction: column; box-shadow: 0 1px 2px rgba(15, 23, 42, 0.05); }
.card-head { display: flex; align-items: flex-start; gap: 6px; position: relative; margin-bottom: 6px; }
.card-head h2 { margin: 0; font-size: 14px; font-weight: 600; color: #1e293b; flex: 1; }
.info { flex: none; width: 18px; height: 18px; border-radius: 50%; border: 1px solid #cbd5e1; color: var(--muted); font: italic 600 11px/16px Georgia, serif; text-align: center; cursor: help; user-select: none; }
.tip { display: none; position: absolute; z-index: 10; top: 24px; right: 0; width: min(380px, 90vw); background: #0f172a; color: #f8fafc; border-radius: 8px; padding: 10px 12px; font-size: 12.5px; line-height: 1.45; box-shadow: 0 8px 24px rgba(15, 23, 42, 0.25); }
.tip p { margin: 0 0 6px; }
.tip dl { margin: 0; }
.tip dt { font-weight: 600; margin-top: 6px; }
.tip dd { margin: 0; color: #cbd5e1; }
.info:hover + .tip, .info:focus + .tip { display: block; }
.figures { display: flex; gap: 18px; flex: 1; align-items: center; }
.figure { min-width: 0; }
.figure-value { font-size: 34px; font-weight: 650; letter-spacing: -0.02em; line-height: 1.1; font-variant-numeric: tabular-nums; }
.figure-period { color: var(--muted); font-size: 12px; margin-top: 2px; }
.figure-change { font-size: 13px; margin-top: 4px; font-variant-numeric: tabular-nums; }
.figure-change.up { color: var(--up); }
.figure-change.down { color: var(--down); }
.figure-change.flat, .figure-change.none { color: var(--muted); }
.chart { position: relative; min-height: 160px; }
.empty { color: var(--muted); font-style: italic; margin: auto 0; }
.error { color: var(--down); }
.steps { list-style: none; margin: 8px 0 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(90px, 1fr)); gap: 6px; font-size: 12px; }
.steps li { background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
.steps b { display: block; font-size: 15px; font-variant-numeric: tabular-nums; }
.steps span { color: var(--muted); }
.table-wrap { overflow-x: auto; }
table.data, table.pivot { border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
table.data th { color: #475569; font-weight: 600; background: #f8fafc; position: sticky; top: 0; }
table.data td.num, table.data th.num { text-align: right; }
table.data tbody tr:hover { background: #f8fafc; }
table.pivot { font-size: 11px; }
table.pivot th, table.pivot td { padding: 4px 2px; text-align: center; border: 1px solid #fff; white-space: nowrap; }
table.pivot thead th:first-child { white-space: normal; text-align: left; }
table.pivot thead th { color: #475569; font-weight: 600; }
table.pivot tbody th { text-align: left; color: #334155; font-weight: 600; }
table.pivot td.light { color: #0f172a; }
table.pivot td.dark { color: #ffffff; }
table.pivot td.none { color: #cbd5e1; }
.pivot-axis { color: var(--muted); font-size: 12px; margin: 0 0 4px; }
.quality { margin-top: 22px; }
.quality > h2 { font-size: 18px; margin: 0 0 4px; }
.quality > .meta { margin: 0 0 12px; color: var(--muted); font-size: 13px; }
.quality-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: var(--gap); }
.quality-grid .panel.full { grid-column: 1 / -1; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
.panel h3 { margin: 0 0 8px; font-size: 14px; }
.ok { color: var(--up); }
.late { color: var(--down); }
footer { margin-top: 20px; color: var(--muted); font-size: 12px; }
@media (max-width: 1100px) {
  .card { grid-column: auto / span 24; grid-row: auto; }
  .card.card-number { grid-column: auto / span 8; }
  table.data th, table.data td:not(.num) { white-space: normal; }
  .quality-grid { grid-template-columns: minmax(0, 1fr); }
  .quality-grid .panel.full { grid-column: auto; }
}
@media (max-width: 720px) {
  .page { padding: 14px 12px 24px; }
  .card, .card.card-number { grid-column: 1 / -1; }
  .figure-value { font-size: 28px; }
}
`;

/** Draws every chart card; runs after the inlined chart.js. Plain ES5, no template strings. */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var PALETTE = [[37, 99, 235], [234, 88, 12], [22, 163, 74], [147, 51, 234], [219, 39, 119], [8, 145, 178], [202, 138, 4], [100, 116, 139]];
  function rgba(i, a) { var c = PALETTE[i % PALETTE.length]; return 'rgba(' + c[0] + ', ' + c[1] + ', ' + c[2] + ', ' + a + ')'; }
  var COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  function tick(v, format) {
    if (typeof v !== 'number') return v;
    if (format === 'percent') return (Math.round(v * 1000) / 10) + '%';
    if (format === 'currency') return (v < 0 ? '-$' : '$') + COMPACT.format(Math.abs(v));
    return COMPACT.format(v);
  }
  function config(s, card) {
    var stacked = s.datasets.some(function (d) { return d.stack !== null; });
    var datasets = s.datasets.map(function (d) {
      var alpha = d.shade ? 0.45 : 0.85;
      var ds = {
        type: d.type, label: d.label, data: d.values,
        borderColor: rgba(d.color, d.type === 'bar' ? 0 : alpha),
        backgroundColor: d.fill ? rgba(d.color, 0.16) : rgba(d.color, alpha),
        fill: d.fill ? 'origin' : false,
        borderWidth: d.type === 'bar' ? 0 : 2,
        pointRadius: d.type === 'line' ? (s.x.length > 31 ? 0 : 2.5) : 0,
        tension: 0.25, spanGaps: true, order: d.type === 'line' ? 0 : 1
      };
      if (!s.horizontal) ds.yAxisID = d.axis;
      if (d.stack !== null) ds.stack = d.stack;
      return ds;
    });
    var scales = {};
    if (s.chart === 'pie') {
      datasets.forEach(function (ds) {
        ds.backgroundColor = s.x.map(function (_, i) { return rgba(i, 0.85); });
        ds.borderColor = '#ffffff';
        ds.borderWidth = 1;
      });
    } else if (s.horizontal) {
      scales.x = { beginAtZero: true, ticks: { callback: function (v) { return tick(v, s.axes[0].format); } } };
      scales.y = { grid: { display: false } };
    } else {
      scales.x = { stacked: stacked, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } };
      s.axes.forEach(function (a) {
        scales[a.id] = {
          type: 'linear', position: a.position, display: a.display, beginAtZero: true, stacked: stacked,
          grid: { drawOnChartArea: a.position === 'left' },
          title: { display: s.axes.length > 1 && a.display, text: a.title, color: '#64748b' },
          ticks: { callback: function (v) { return tick(v, a.format); } }
        };
      });
    }
    return {
      type: s.chart === 'line' || s.chart === 'area' ? 'line' : s.chart === 'pie' ? 'pie' : 'bar',
      data: { labels: s.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: s.horizontal ? 'y' : 'x',
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { display: s.datasets.length > 1 || s.chart === 'pie', position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: { callbacks: { label: function (c) { var d = s.datasets[c.datasetIndex]; return (s.horizontal || s.chart === 'pie' ? s.labels[c.dataIndex] + ': ' : d.label + ': ') + d.display[c.dataIndex]; } } }
        },
        scales: scales
      },
      plugins: [{ id: 'streampulseRendered', afterRender: function () { card.setAttribute('data-rendered', 'true'); } }]
    };
  }
  var cards = document.querySelectorAll('[data-series]');
  for (var i = 0; i < cards.length; i++) {
    var card = cards[i];
    try {
      var canvas = card.querySelector('canvas');
      if (typeof Chart === 'undefined') throw new Error('chart.js did not load');
      new Chart(canvas, config(JSON.parse(card.getAttribute('data-series')), card));
    } catch (e) {
      card.setAttribute('data-error', String(e && e.message ? e.message : e));
      var p = document.createElement('p');
      p.className = 'error';
      p.textContent = 'This chart could not be drawn: ' + card.getAttribute('data-error');
      card.appendChild(p);
    }
  }
})();
`;
