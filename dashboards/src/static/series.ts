/**
 * A chart card's rows as the series chart.js draws: the first dimension on the category
 * axis, one dataset per measure (and per value of the further dimensions, e.g. one line
 * per payment method), each measure on an axis per format (combo: one axis per measure).
 * A card without dimensions (a funnel) draws its measures as the categories. Funnel and
 * row charts are horizontal bars; a pie has one slice per category.
 *
 * The page carries this object as the card's `data-series` attribute; its script builds
 * the chart from it, and tests read it back.
 *
 * Pure.
 */
import type { CardColumn, ColumnFormat, ResolvedCard } from '../model.js';
import { allMonthStarts, formatValue, numeric, periodLabel } from './format.js';

export type Row = Readonly<Record<string, unknown>>;
export type ChartKind = 'line' | 'bar' | 'area' | 'combo' | 'funnel' | 'pie' | 'row';

export interface ChartAxis {
  readonly id: string;
  readonly format: ColumnFormat;
  readonly position: 'left' | 'right';
  /** Axes after the second are drawn without ticks (their values show on hover). */
  readonly display: boolean;
  readonly title: string;
}

export interface ChartDataset {
  readonly label: string;
  /** The measure drawn; null for a card without dimensions, whose categories are its measures. */
  readonly measure: string | null;
  /** The further dimensions' values this dataset stands for (formatted, joined by " · "); null with one dimension. */
  readonly group: string | null;
  readonly type: 'bar' | 'line' | 'pie';
  readonly fill: boolean;
  readonly axis: string;
  /** Bars of the same stack are stacked (one stack per measure when groups split it). */
  readonly stack: string | null;
  /** Palette index, and 0 (solid) or 1 (light) for the second measure of a group. */
  readonly color: number;
  readonly shade: number;
  readonly format: ColumnFormat;
  readonly values: readonly (number | null)[];
  /** The values as a reader sees them (tooltips). */
  readonly display: readonly string[];
}

export interface ChartSeries {
  readonly chart: ChartKind;
  /** Bars along the vertical axis (funnel, row). */
  readonly horizontal: boolean;
  /** The first dimension's column, or null when the categories are the measures. */
  readonly xColumn: string | null;
  /** Raw category keys in query order: the first dimension's values, or the measure names. */
  readonly x: readonly (string | number | null)[];
  readonly labels: readonly string[];
  readonly datasets: readonly ChartDataset[];
  readonly axes: readonly ChartAxis[];
}

const CHARTS: ReadonlySet<string> = new Set<ChartKind>(['line', 'bar', 'area', 'combo', 'funnel', 'pie', 'row']);

/** Whether the card is drawn with chart.js (the others are HTML: number, table, pivot). */
export function isChart(card: ResolvedCard): boolean {
  return CHARTS.has(card.card.visualization);
}

const key = (v: unknown): string =>
  v === null || v === undefined ? '\u0000null' : typeof v === 'number' || typeof v === 'bigint' ? `n${String(v)}` : `s${String(v)}`;
const rawKey = (v: unknown): string | number | null =>
  v === null || v === undefined ? null : typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : String(v);

/** The further dimensions' values of a row, as the dataset's group name. */
export function groupOf(row: Row, dims: readonly CardColumn[]): string {
  return dims.map((d) => formatValue(row[d.name], d.format)).join(' · ');
}

function categoryLabels(col: CardColumn, values: readonly unknown[]): string[] {
  if (col.format === 'date') {
    const months = allMonthStarts(values);
    return values.map((v) => periodLabel(v, months));
  }
  return values.map((v) => formatValue(v, col.format));
}

function axesFor(card: ResolvedCard): { axes: ChartAxis[]; axisOf: Map<string, string> } {
  const combo = card.card.visualization === 'combo';
  const axes: ChartAxis[] = [];
  const axisOf = new Map<string, string>();
  const byFormat = new Map<ColumnFormat, string>();
  for (const m of card.measures) {
    const shared = combo ? undefined : byFormat.get(m.format);
    if (shared !== undefined) {
      axisOf.set(m.name, shared);
      const i = axes.findIndex((a) => a.id === shared);
      const a = axes[i]!;
      axes[i] = { ...a, title: `${a.title}, ${m.label}` };
      continue;
    }
    const n = axes.length;
    const id = n === 0 ? 'y' : `y${n}`;
    axes.push({ id, format: m.format, position: n === 0 ? 'left' : 'right', display: n < 2, title: m.label });
    axisOf.set(m.name, id);
    byFormat.set(m.format, id);
  }
  return { axes, axisOf };
}

/** The series of a chart card (line, bar, area, combo, funnel) from its query's rows. */
export function chartSeries(card: ResolvedCard, rows: readonly Row[]): ChartSeries {
  const viz = card.card.visualization;
  const chart: ChartKind = CHARTS.has(viz) ? (viz as ChartKind) : 'bar';
  const horizontal = chart === 'funnel' || chart === 'row';
  const [xDim, ...groupDims] = card.dimensions;
  if (xDim === undefined || chart === 'funnel') {
    // the measures are the categories: one dataset, the first row's values
    const row = rows[0] ?? {};
    const format = card.measures[0]?.format ?? 'integer';
    const values = card.measures.map((m) => numeric(row[m.name]) ?? null);
    return {
      chart,
      horizontal,
      xColumn: null,
      x: card.measures.map((m) => m.name),
      labels: card.measures.map((m) => m.label),
      datasets: [
        {
          label: card.card.title,
          measure: null,
          group: null,
          type: chart === 'pie' ? 'pie' : 'bar',
          fill: false,
          axis: 'y',
          stack: null,
          color: 0,
          shade: 0,
          format,
          values,
          display: card.measures.map((m) => formatValue(row[m.name] ?? null, m.format)),
        },
      ],
      axes: [{ id: 'y', format, position: 'left', display: true, title: card.measures.map((m) => m.label).join(', ') }],
    };
  }
  // categories in query order; groups sorted, so the legend does not depend on row order
  const xIndex = new Map<string, number>();
  const x: (string | number | null)[] = [];
  const xRaw: unknown[] = [];
  const groupNames = new Set<string>();
  for (const r of rows) {
    const k = key(r[xDim.name]);
    if (!xIndex.has(k)) {
      xIndex.set(k, x.length);
      x.push(rawKey(r[xDim.name]));
      xRaw.push(r[xDim.name]);
    }
    if (groupDims.length > 0) groupNames.add(groupOf(r, groupDims));
  }
  const groups: (string | null)[] = groupDims.length > 0 ? [...groupNames].sort() : [null];
  const { axes, axisOf } = axesFor(card);
  const datasets: ChartDataset[] = [];
  for (const [gi, group] of groups.entries())
    for (const [mi, m] of card.measures.entries()) {
      const values: (number | null)[] = x.map(() => null);
      const display: string[] = x.map(() => formatValue(null, m.format));
      for (const r of rows) {
        if (group !== null && groupOf(r, groupDims) !== group) continue;
        const i = xIndex.get(key(r[xDim.name]))!;
        values[i] = numeric(r[m.name]) ?? null;
        display[i] = formatValue(r[m.name] ?? null, m.format);
      }
      const type = chart === 'pie' ? 'pie' : chart === 'line' || chart === 'area' || (chart === 'combo' && mi > 0) ? 'line' : 'bar';
      const label = group === null ? m.label : card.measures.length === 1 ? group : `${m.label} · ${group}`;
      datasets.push({
        label,
        measure: m.name,
        group,
        type,
        fill: chart === 'area',
        axis: axisOf.get(m.name) ?? 'y',
        stack: type === 'bar' && group !== null ? m.name : null,
        color: group === null ? mi : gi,
        shade: group === null ? 0 : Math.min(mi, 1),
        format: m.format,
        values,
        display,
      });
    }
  return { chart, horizontal, xColumn: xDim.name, x, labels: categoryLabels(xDim, xRaw), datasets, axes };
}
