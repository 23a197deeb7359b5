/**
 * The dashboard model: a `dashboard:` contract resolved against its marts and the
 * metric catalogue. Both outputs — the Metabase payloads and the static page — read
 * this model only, so a card added to the contract reaches both with no code change.
 *
 * Pure: contracts in, plain data out.
 */
import { StreamPulseError, type Card, type ContractSet, type DashboardContract, type DashboardFilter, type MartContract } from '@streampulse/contracts';

/** How a column's values are shown. */
export type ColumnFormat = 'date' | 'text' | 'boolean' | 'integer' | 'decimal' | 'currency' | 'percent';

export interface CardColumn {
  readonly name: string;
  readonly role: 'dimension' | 'measure';
  /** The logical type in the mart contract. */
  readonly type: string;
  /** What a reader sees as the column's heading: the metric's label, else the name in words. */
  readonly label: string;
  /** The business definition shown next to the figure (the metric's, else the mart's). */
  readonly definition: string;
  readonly metric?: string;
  readonly format: ColumnFormat;
  /**
   * Whether summing the measure over rows gives the measure of their union (counts,
   * amounts, durations). Ratios and distinct counts are not additive: a card that rolls
   * them up shows them only where one mart row makes the group.
   */
  readonly additive: boolean;
}

export interface CardFilterBinding {
  /** The dashboard filter's id. */
  readonly filter: string;
  readonly type: DashboardFilter['type'];
  /** The card's column it narrows. */
  readonly column: string;
}

export interface ResolvedCard {
  readonly card: Card;
  readonly mart: MartContract;
  /** Output columns in query order: dimensions, then measures. */
  readonly columns: readonly CardColumn[];
  readonly dimensions: readonly CardColumn[];
  readonly measures: readonly CardColumn[];
  /**
   * Number cards show the newest period's value and its change from the period before:
   * the column their `last_n_*` filter is on, which the query adds as a dimension.
   */
  readonly trendColumn?: string;
  /** Whether the query groups mart rows (the card's dimensions do not cover the grain). */
  readonly rollsUp: boolean;
  /** The dashboard filters that apply to this card, with the column each narrows. */
  readonly filters: readonly CardFilterBinding[];
}

export interface DashboardModel {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly owner: string;
  readonly file: string;
  readonly filters: readonly DashboardFilter[];
  /** Cards in reading order (layout row, then column). */
  readonly cards: readonly ResolvedCard[];
}

const ADDITIVE_UNITS = new Set(['count', 'currency', 'minutes', 'days']);
const PERCENT_UNITS = new Set(['ratio', 'percent']);

/** `watch_hours` → `Watch hours`. */
export function humanize(name: string): string {
  const s = name.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function formatOf(type: string, unit: string | undefined): ColumnFormat {
  if (unit === 'currency') return 'currency';
  if (unit !== undefined && PERCENT_UNITS.has(unit)) return 'percent';
  if (type === 'date' || type === 'timestamp') return 'date';
  if (type === 'boolean') return 'boolean';
  if (type === 'string') return 'text';
  if (type === 'integer' || type === 'bigint') return 'integer';
  return 'decimal';
}

function lookupError(file: string, card: string, what: string): StreamPulseError {
  return new StreamPulseError('DASHBOARD_UNRESOLVED', `${file}: card "${card}" ${what}`, {
    remedy: 'run `streampulse contracts validate`: the contract checks name the field to fix',
  });
}

function resolveCard(set: ContractSet, d: DashboardContract & { file: string }, card: Card): ResolvedCard {
  const mart = set.marts.find((m) => m.mart === card.mart);
  if (mart === undefined) throw lookupError(d.file, card.id, `reads mart "${card.mart}", which does not exist`);
  const metrics = new Map(set.metrics.metrics.map((m) => [m.name, m]));
  const dimension = (name: string): CardColumn => {
    const dim = mart.dimensions.find((x) => x.name === name);
    if (dim === undefined) throw lookupError(d.file, card.id, `uses "${name}", which is not a dimension of ${mart.mart}`);
    return {
      name,
      role: 'dimension',
      type: dim.type,
      label: humanize(name),
      definition: dim.description.trim(),
      format: formatOf(dim.type, undefined),
      additive: false,
    };
  };
  const measure = (name: string): CardColumn => {
    const m = mart.measures.find((x) => x.name === name);
    if (m === undefined) throw lookupError(d.file, card.id, `uses "${name}", which is not a measure of ${mart.mart}`);
    const metric = m.metric === undefined ? undefined : metrics.get(m.metric);
    // a measure restating a metric in other units (watch_hours of watch_time) keeps its own label
    const sameUnit = metric !== undefined && metric.name === m.name;
    const unit = metric?.unit;
    const additive =
      m.additive !== undefined
        ? m.additive
        : unit !== undefined
          ? ADDITIVE_UNITS.has(unit)
          : m.type === 'integer' || m.type === 'bigint' || m.type.startsWith('decimal');
    return {
      name,
      role: 'measure',
      type: m.type,
      label: sameUnit ? metric.label : humanize(name),
      definition: (metric?.definition ?? m.definition).trim().replace(/\s+/g, ' '),
      ...(m.metric === undefined ? {} : { metric: m.metric }),
      format: formatOf(m.type, unit),
      additive,
    };
  };
  const q = card.query;
  const trendFilter = card.visualization === 'number' ? q.filters.find((f) => f.op === 'last_n_months' || f.op === 'last_n_days') : undefined;
  const dimNames = [...q.dimensions];
  if (trendFilter !== undefined && !dimNames.includes(trendFilter.column)) dimNames.unshift(trendFilter.column);
  const dimensions = dimNames.map(dimension);
  const measures = q.measures.map(measure);
  const rollsUp = !mart.grain.every((g) => dimNames.includes(g));
  const martDims = mart.dimensions;
  const filters: CardFilterBinding[] = [];
  for (const f of d.filters) {
    const column = f.column ?? (f.type === 'date_range' ? martDims.find((x) => x.type === 'date' || x.type === 'timestamp')?.name : undefined);
    if (column !== undefined && martDims.some((x) => x.name === column)) filters.push({ filter: f.id, type: f.type, column });
  }
  return {
    card,
    mart,
    columns: [...dimensions, ...measures],
    dimensions,
    measures,
    ...(trendFilter === undefined ? {} : { trendColumn: trendFilter.column }),
    rollsUp,
    filters,
  };
}

/**
 * Resolves a dashboard contract (the only one, or the one named) against the contract
 * set. Throws DASHBOARD_NOT_FOUND / DASHBOARD_UNRESOLVED with the file and the fix.
 */
export function dashboardModel(set: ContractSet, name?: string): DashboardModel {
  const d = name === undefined ? set.dashboards[0] : set.dashboards.find((x) => x.dashboard === name);
  if (d === undefined)
    throw new StreamPulseError(
      'DASHBOARD_NOT_FOUND',
      name === undefined ? `${set.root} has no dashboard contract` : `no dashboard contract is named "${name}"`,
      {
        remedy:
          set.dashboards.length === 0
            ? 'add a `dashboard:` contract (e.g. dashboard.yaml) to the contract folder'
            : `use one of: ${set.dashboards.map((x) => x.dashboard).join(', ')}`,
      },
    );
  const cards = [...d.cards].sort((a, b) => a.layout.row - b.layout.row || a.layout.col - b.layout.col || (a.id < b.id ? -1 : 1));
  return {
    name: d.dashboard,
    title: d.title,
    description: d.description.trim().replace(/\s+/g, ' '),
    owner: d.owner,
    file: d.file,
    filters: d.filters,
    cards: cards.map((c) => resolveCard(set, d, c)),
  };
}
