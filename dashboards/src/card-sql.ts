/**
 * A card's query as SQL on the served `analytics_*` view: SQLite for the static page
 * (the local serving database) and T-SQL for Metabase's native questions on Azure SQL.
 * Both renderings are the same query, so the page and Metabase show the same figures.
 *
 * Relative periods (`last_n_months`, `last_n_days`) count back from the newest period
 * the mart serves — `MAX(<column>)` of the view — not from the wall clock: a dashboard
 * over a batch run for 2026-02-07 shows February 2026 as "this month", whenever it is
 * opened. (With a daily batch the two agree.)
 *
 * When the card's dimensions do not cover the mart's grain the query groups: additive
 * measures are summed; a non-additive one (a ratio, a distinct count) is shown only
 * where a single mart row makes the group (`CASE WHEN COUNT(*) = 1 …`), never summed
 * into a wrong figure.
 *
 * Pure.
 */
import { StreamPulseError, type Card } from '@streampulse/contracts';
import { dateLiteral, quoteIdent, servingName, stringLiteral } from '@streampulse/sql';
import type { CardColumn, ResolvedCard } from './model.js';

export type CardDialect = 'sqlite' | 'tsql';

export interface CardSqlOptions {
  /**
   * Metabase: append each dashboard filter bound to the card as an optional field-filter
   * clause `[[AND {{<filter id>}}]]` (Metabase drops the clause when the filter is empty).
   */
  readonly templateTags?: boolean;
  /**
   * For a query used as a derived table: leave out ORDER BY (T-SQL refuses it in a
   * derived table unless TOP limits the rows; kept then).
   */
  readonly derived?: boolean;
}

type Filter = Card['query']['filters'][number];

const q = (name: string, d: CardDialect): string => quoteIdent(name, d);

function literal(v: string | number, isDate: boolean, d: CardDialect): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new StreamPulseError('DASHBOARD_BAD_FILTER', `filter value ${v} is not a finite number`, { remedy: 'use a finite number' });
    return String(v);
  }
  if (isDate && /^\d{4}-\d{2}-\d{2}$/.test(v)) return dateLiteral(v, d);
  return stringLiteral(v, d);
}

/** The first day of the period `n - 1` periods before the newest one the view serves. */
function periodStart(f: Filter, view: string, d: CardDialect, n: number): string {
  const col = q(f.column, d);
  const newest = `(SELECT MAX(${col}) FROM ${view})`;
  const back = n - 1;
  if (f.op === 'last_n_months') {
    if (d === 'sqlite') return `date(${newest}, 'start of month'${back === 0 ? '' : `, '-${back} months'`})`;
    const start = `DATEFROMPARTS(YEAR(${newest}), MONTH(${newest}), 1)`;
    return back === 0 ? start : `DATEADD(month, -${back}, ${start})`;
  }
  if (d === 'sqlite') return back === 0 ? newest : `date(${newest}, '-${back} days')`;
  return back === 0 ? newest : `DATEADD(day, -${back}, ${newest})`;
}

function windowSize(card: ResolvedCard, f: Filter): number {
  const n = f.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new StreamPulseError(
      'DASHBOARD_BAD_FILTER',
      `card "${card.card.id}": ${f.op} on "${f.column}" needs a whole number of periods ≥ 1, got ${JSON.stringify(n)}`,
      {
        remedy: `set the filter's value to the number of ${f.op === 'last_n_months' ? 'months' : 'days'} (e.g. value: 3)`,
      },
    );
  // a number card also reads the period before, to show the change (its trend)
  return card.trendColumn === f.column ? n + 1 : n;
}

function condition(card: ResolvedCard, f: Filter, view: string, d: CardDialect): string {
  const col = card.mart.dimensions.find((x) => x.name === f.column) ?? card.mart.measures.find((x) => x.name === f.column);
  const isDate = col?.type === 'date' || col?.type === 'timestamp';
  const c = q(f.column, d);
  switch (f.op) {
    case 'last_n_months':
    case 'last_n_days':
      return `${c} >= ${periodStart(f, view, d, windowSize(card, f))}`;
    case 'in': {
      const vs = Array.isArray(f.value) ? f.value : [f.value];
      if (vs.length === 0)
        throw new StreamPulseError('DASHBOARD_BAD_FILTER', `card "${card.card.id}": "in" on "${f.column}" has no values`, {
          remedy: 'list at least one value',
        });
      return `${c} IN (${vs.map((v) => literal(v, isDate, d)).join(', ')})`;
    }
    default: {
      if (Array.isArray(f.value))
        throw new StreamPulseError('DASHBOARD_BAD_FILTER', `card "${card.card.id}": "${f.op}" on "${f.column}" takes one value, got a list`, {
          remedy: 'use op "in" for a list of values',
        });
      const op = f.op === '!=' ? '<>' : f.op;
      return `${c} ${op} ${literal(f.value, isDate, d)}`;
    }
  }
}

function selectExpr(col: CardColumn, card: ResolvedCard, d: CardDialect): string {
  const c = q(col.name, d);
  if (col.role === 'dimension' || !card.rollsUp) return c;
  if (col.additive) return `SUM(${c}) AS ${c}`;
  return `CASE WHEN COUNT(*) = 1 THEN MAX(${c}) END AS ${c}`;
}

/** The card's query on its served view, in the dialect. */
export function cardSql(card: ResolvedCard, dialect: CardDialect, options: CardSqlOptions = {}): string {
  const d = dialect;
  const view = servingName('serving', card.mart.mart, d);
  const query = card.card.query;
  const conds = query.filters.map((f) => condition(card, f, view, d));
  const optional = options.templateTags === true ? card.filters.map((b) => `[[AND {{${b.filter}}}]]`) : [];
  const sort = [...query.sort];
  if (card.trendColumn !== undefined && !sort.some((s) => s.column === card.trendColumn)) sort.unshift({ column: card.trendColumn, direction: 'asc' });
  const limit = query.limit;
  const lines: string[] = [];
  lines.push(`SELECT${d === 'tsql' && limit !== undefined ? ` TOP (${limit})` : ''}`);
  lines.push(card.columns.map((c) => `  ${selectExpr(c, card, d)}`).join(',\n'));
  lines.push(`FROM ${view}`);
  if (conds.length > 0 || optional.length > 0) {
    lines.push(`WHERE ${conds.length > 0 ? conds.join('\n  AND ') : '1 = 1'}`);
    for (const o of optional) lines.push(`  ${o}`);
  }
  if (card.rollsUp && card.dimensions.length > 0) lines.push(`GROUP BY ${card.dimensions.map((c) => q(c.name, d)).join(', ')}`);
  if (sort.length > 0 && (options.derived !== true || limit !== undefined))
    lines.push(`ORDER BY ${sort.map((s) => `${q(s.column, d)} ${s.direction.toUpperCase()}`).join(', ')}`);
  if (d === 'sqlite' && limit !== undefined) lines.push(`LIMIT ${limit}`);
  return lines.join('\n');
}
