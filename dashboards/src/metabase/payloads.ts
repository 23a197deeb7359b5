/**
 * The Metabase API payloads of a dashboard contract: the serving database entry, the
 * collection, one native question per card and the dashboard with its dashcards and
 * filters — in the shapes Metabase's API takes (`POST /api/database`, `POST /api/collection`,
 * `POST|PUT /api/card`, `POST /api/dashboard` + `PUT /api/dashboard/:id` with `dashcards`).
 *
 * Ids Metabase assigns (the database, the collection, each question, each field) are
 * passed in; one not known yet is an unresolved reference, the string `<what>` (a dry run
 * against an empty Metabase, the generated templates). Pure and deterministic.
 */
import { createHash } from 'node:crypto';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { quoteIdent, stringLiteral } from '@streampulse/sql';
import { cardSql } from '../card-sql.js';
import { dashboardModel, type CardColumn, type DashboardModel, type ResolvedCard } from '../model.js';

/** Metabase's dashboard grid is 24 columns wide; the contract's layout uses the same grid. */
export const METABASE_GRID_WIDTH = 24;
/** The name of the serving database entry in Metabase (how a run finds it again). */
export const METABASE_DATABASE_NAME = 'StreamPulse serving (Azure SQL)';
/** The schema of the served `analytics_*` views (the SQL migrations' `serving` schema). */
export const SERVING_SCHEMA = 'serving';
/** Currency of `currency` measures (the marts serve USD settlement amounts). */
export const METABASE_CURRENCY = 'USD';

/** A Metabase id, or an unresolved reference `<what>` when Metabase has not assigned it yet. */
export type Ref = number | string;
export const unresolved = (what: string): string => `<${what}>`;
export const isResolved = (r: Ref): r is number => typeof r === 'number';

/** The key of a served column in the database metadata: `serving.<view>.<column>`. */
export const fieldKey = (view: string, column: string): string => `${SERVING_SCHEMA}.${view}.${column}`;

// ---------------------------------------------------------------------------
// The database entry (engine "sqlserver")
// ---------------------------------------------------------------------------

/** Connection `details` keys the sqlserver driver documents (its connection-properties, plus the SSH tunnel). */
export const SQLSERVER_DETAIL_KEYS = [
  'host',
  'port',
  'db',
  'instance',
  'user',
  'password',
  'ssl',
  'additional-options',
  'tunnel-enabled',
  'tunnel-host',
  'tunnel-port',
  'tunnel-user',
  'tunnel-auth-option',
  'tunnel-pass',
  'tunnel-private-key',
  'tunnel-private-key-passphrase',
] as const;
/** Details Metabase returns masked (`**MetabasePass**`) and plans never print. */
export const SENSITIVE_DETAIL_KEYS: ReadonlySet<string> = new Set(['password', 'tunnel-pass', 'tunnel-private-key', 'tunnel-private-key-passphrase']);

export interface DatabaseTarget {
  /** The Azure SQL server host, e.g. `sql-spulse-dev.database.windows.net`. */
  readonly host?: string | undefined;
  /** The serving database's name. */
  readonly database?: string | undefined;
  /** Client id of Metabase's user-assigned managed identity (omitted: the system-assigned one). */
  readonly identityClientId?: string | undefined;
  /** Documented `details` keys merged over the managed-identity defaults (another authentication). */
  readonly connection?: Readonly<Record<string, unknown>> | undefined;
}

export interface DatabasePayload {
  readonly name: string;
  readonly engine: 'sqlserver';
  readonly details: Readonly<Record<string, unknown>>;
  readonly is_full_sync: boolean;
  readonly is_on_demand: boolean;
  readonly auto_run_queries: boolean;
}

/**
 * The serving database entry. Default authentication: Entra managed identity — mssql-jdbc's
 * `authentication=ActiveDirectoryManagedIdentity` (with `msiClientId` for a user-assigned
 * identity), which refuses a password, so `user` and `password` are absent. `connection`
 * overrides any documented key; when it sets `user` or `password` the managed-identity
 * option is left out unless it sets `additional-options` itself.
 */
export function databasePayload(target: DatabaseTarget = {}): DatabasePayload {
  const override = target.connection ?? {};
  for (const k of Object.keys(override))
    if (!(SQLSERVER_DETAIL_KEYS as readonly string[]).includes(k))
      throw new StreamPulseError(
        'METABASE_BAD_CONNECTION',
        `--database-connection has "${k}", which is not a connection detail of Metabase's sqlserver driver`,
        {
          remedy: `use the documented keys: ${SQLSERVER_DETAIL_KEYS.join(', ')}`,
        },
      );
  const credentials = 'user' in override || 'password' in override;
  const msi = `authentication=ActiveDirectoryManagedIdentity${target.identityClientId === undefined ? '' : `;msiClientId=${target.identityClientId}`}`;
  const details: Record<string, unknown> = {
    host: target.host ?? unresolved('sql-server'),
    port: 1433,
    db: target.database ?? unresolved('sql-database'),
    ssl: true,
    ...(credentials ? {} : { 'additional-options': msi }),
    ...override,
  };
  return { name: METABASE_DATABASE_NAME, engine: 'sqlserver', details, is_full_sync: true, is_on_demand: false, auto_run_queries: true };
}

/** Keys that must be absent from the entry's details (managed identity: no user, no password). */
export function absentDetailKeys(payload: DatabasePayload): string[] {
  const opts = payload.details['additional-options'];
  return typeof opts === 'string' && /authentication=ActiveDirectoryManagedIdentity/i.test(opts) ? ['user', 'password'] : [];
}

// ---------------------------------------------------------------------------
// The collection
// ---------------------------------------------------------------------------

export interface CollectionPayload {
  readonly name: string;
  readonly description: string | null;
}

export const collectionPayload = (model: DashboardModel): CollectionPayload => ({
  name: model.title,
  description: model.description === '' ? null : model.description,
});

// ---------------------------------------------------------------------------
// Questions (cards)
// ---------------------------------------------------------------------------

export interface TemplateTag {
  readonly id: string;
  readonly name: string;
  readonly 'display-name': string;
  readonly type: 'dimension';
  readonly dimension: readonly ['field', Ref, null];
  readonly 'widget-type': string;
}

export interface CardParameter {
  readonly id: string;
  readonly type: string;
  readonly target: readonly ['dimension', readonly ['template-tag', string]];
  readonly name: string;
  readonly slug: string;
}

export interface NativeQuery {
  readonly type: 'native';
  readonly database: Ref;
  readonly native: { readonly query: string; readonly 'template-tags': Readonly<Record<string, TemplateTag>> };
}

export interface CardPayload {
  readonly name: string;
  readonly description: string | null;
  readonly type: 'question';
  readonly display: string;
  readonly visualization_settings: Readonly<Record<string, unknown>>;
  readonly dataset_query: NativeQuery;
  readonly parameters: readonly CardParameter[];
  readonly collection_id: Ref;
}

/** Ids the card payloads refer to; a missing field id is unresolved. */
export interface CardRefs {
  readonly database: Ref;
  readonly collection: Ref;
  readonly fields: ReadonlyMap<string, number>;
}

/** The parameter (and field-filter widget) type of a dashboard filter. */
const widgetType = (type: 'date_range' | 'category'): string => (type === 'date_range' ? 'date/all-options' : 'string/=');
const sectionId = (type: 'date_range' | 'category'): string => (type === 'date_range' ? 'date' : 'string');

/** A stable UUID-shaped id (template tags): the same card and filter always get the same id. */
export function stableId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const columnKey = (name: string): string => JSON.stringify(['name', name]);

function columnSettings(columns: readonly CardColumn[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const c of columns) {
    const s: Record<string, unknown> = { column_title: c.label };
    if (c.format === 'currency') Object.assign(s, { number_style: 'currency', currency: METABASE_CURRENCY, currency_style: 'symbol' });
    else if (c.format === 'percent') Object.assign(s, { number_style: 'percent' });
    else if (c.format === 'integer') Object.assign(s, { decimals: 0 });
    out[columnKey(c.name)] = s;
  }
  return out;
}

function unsupported(model: DashboardModel, card: ResolvedCard, what: string, remedy: string): StreamPulseError {
  return new StreamPulseError('METABASE_UNSUPPORTED_CARD', `${model.file}: card "${card.card.id}" (${card.card.visualization}) ${what}`, { remedy });
}

interface Shape {
  readonly display: string;
  readonly settings: Record<string, unknown>;
  /** The SQL Metabase runs (the card's query; a funnel's measures unpivoted into steps). */
  readonly sql: string;
}

const tq = (s: string): string => quoteIdent(s, 'tsql');

/**
 * The card's query as derived table `q`, its measures unpivoted by CROSS APPLY into rows
 * of `s`: (`<order>`, `<label>`, `value`) — one row per measure, in the card's order,
 * labelled as the column is. `select` and `orderBy` are the outer query's lists.
 */
function unpivotMeasures(card: ResolvedCard, names: { order: string; label: string }, select: string, orderBy: readonly string[]): string {
  const inner = cardSql(card, 'tsql', { templateTags: true, derived: true });
  const values = card.measures.map((m, i) => `  (${i + 1}, ${stringLiteral(m.label, 'tsql')}, ${tq('q')}.${tq(m.name)})`).join(',\n');
  return [
    `SELECT ${select}`,
    'FROM (',
    inner
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    `) AS ${tq('q')}`,
    'CROSS APPLY (VALUES',
    values,
    `) AS ${tq('s')}(${tq(names.order)}, ${tq(names.label)}, ${tq('value')})`,
    `ORDER BY ${orderBy.join(', ')}`,
  ].join('\n');
}

/**
 * A funnel over one row of measures (visits, signups, …): Metabase's funnel reads one row
 * per step (a step column and a value column): each measure becomes a step.
 */
function funnelSteps(card: ResolvedCard): string {
  return unpivotMeasures(card, { order: 'step_order', label: 'step' }, `${tq('s')}.${tq('step')}, ${tq('s')}.${tq('value')}`, [
    `${tq('s')}.${tq('step_order')} ASC`,
  ]);
}

/**
 * Metabase's line, bar and area charts plot either several measures against one
 * dimension, or one measure broken out by a second dimension — not several measures
 * over two dimensions. Such a card (month × plan tier × new and churned subscribers) is
 * unpivoted: each measure becomes rows of one `value` column, labelled in a `series`
 * column by the second dimension's value and the measure's label, so the chart shows
 * every line the contract asks for.
 */
function measureSeries(card: ResolvedCard): string {
  const [x, by] = card.dimensions;
  if (x === undefined || by === undefined) throw new Error('measureSeries needs two dimensions');
  const order = card.card.query.sort.filter((s) => s.column === x.name || s.column === by.name);
  return unpivotMeasures(
    card,
    { order: 'measure_order', label: 'measure' },
    `${tq('q')}.${tq(x.name)}, CONCAT(${tq('q')}.${tq(by.name)}, N' · ', ${tq('s')}.${tq('measure')}) AS ${tq('series')}, ${tq('s')}.${tq('value')}`,
    [...order.map((o) => `${tq('q')}.${tq(o.column)} ${o.direction.toUpperCase()}`), `${tq('s')}.${tq('measure_order')} ASC`],
  );
}

function shape(model: DashboardModel, card: ResolvedCard): Shape {
  const sql = cardSql(card, 'tsql', { templateTags: true });
  const dims = card.dimensions.map((c) => c.name);
  const measures = card.measures.map((c) => c.name);
  const cols = columnSettings(card.columns);
  const graph = { 'graph.dimensions': dims, 'graph.metrics': measures, column_settings: cols };
  switch (card.card.visualization) {
    case 'number':
      // with its period column the number shows the newest period and its change (Metabase's "Trend")
      return { display: card.trendColumn === undefined ? 'scalar' : 'smartscalar', settings: { 'scalar.field': measures[0], column_settings: cols }, sql };
    case 'line':
    case 'bar':
    case 'area':
    case 'row':
      if (dims.length === 0) throw unsupported(model, card, 'has no dimension to plot against', 'add the x-axis column to query.dimensions');
      if (dims.length > 2)
        throw unsupported(model, card, 'plots against more than two dimensions', 'keep the x-axis column and at most one breakout column in query.dimensions');
      if (dims.length === 2 && measures.length > 1) {
        const series = { 'graph.dimensions': [dims[0], 'series'], 'graph.metrics': ['value'] };
        const valueFormat = cols[columnKey(measures[0] ?? '')] as Record<string, unknown> | undefined;
        return {
          display: card.card.visualization,
          settings: {
            ...series,
            column_settings: {
              [columnKey(dims[0] ?? '')]: cols[columnKey(dims[0] ?? '')],
              [columnKey('series')]: { column_title: `${card.dimensions[1]?.label ?? ''} · measure` },
              [columnKey('value')]: { ...(valueFormat ?? {}), column_title: 'Value' },
            },
          },
          sql: measureSeries(card),
        };
      }
      return { display: card.card.visualization, settings: graph, sql };
    case 'combo': {
      if (dims.length === 0) throw unsupported(model, card, 'has no dimension to plot against', 'add the x-axis column to query.dimensions');
      // the first measure as bars, the others as lines (Metabase splits the y-axis when their scales differ)
      const series = Object.fromEntries(measures.map((m, i) => [m, { display: i === 0 ? 'bar' : 'line' }]));
      return { display: 'combo', settings: { ...graph, series_settings: series }, sql };
    }
    case 'pie':
      if (dims.length !== 1 || measures.length !== 1)
        throw unsupported(model, card, 'needs one dimension and one measure', 'give the pie card one dimension and one measure');
      return { display: 'pie', settings: { 'pie.dimension': dims[0], 'pie.metric': measures[0], column_settings: cols }, sql };
    case 'funnel':
      if (dims.length === 1 && measures.length === 1)
        return { display: 'funnel', settings: { 'funnel.dimension': dims[0], 'funnel.metric': measures[0], column_settings: cols }, sql };
      if (dims.length === 0 && measures.length >= 2) {
        if (card.card.query.sort.length > 0)
          throw unsupported(model, card, 'sorts a query that returns one row', "remove the funnel's sort: its steps are its measures, in order");
        const step = { column_title: 'Step' };
        const value = { column_title: card.measures[0]!.label, decimals: 0 };
        return {
          display: 'funnel',
          settings: { 'funnel.dimension': 'step', 'funnel.metric': 'value', column_settings: { [columnKey('step')]: step, [columnKey('value')]: value } },
          sql: funnelSteps(card),
        };
      }
      throw unsupported(
        model,
        card,
        'is neither one step column with one measure nor one row of step measures',
        'list the steps as measures (no dimensions), or one step dimension with one measure',
      );
    case 'pivot':
      // Metabase's pivot table runs on query-builder questions only; a native question pivots in its table view
      if (dims.length === 2 && measures.length === 1)
        return {
          display: 'table',
          settings: { 'table.pivot': true, 'table.pivot_column': dims[1], 'table.cell_column': measures[0], column_settings: cols },
          sql,
        };
      return { display: 'table', settings: { column_settings: cols }, sql };
    case 'table':
      return { display: 'table', settings: { column_settings: cols }, sql };
  }
}

/** The card's template tags: a field filter per dashboard filter bound to it, on the filter's column. */
function templateTags(model: DashboardModel, card: ResolvedCard, refs: CardRefs): Record<string, TemplateTag> {
  const tags: Record<string, TemplateTag> = {};
  for (const b of card.filters) {
    const f = model.filters.find((x) => x.id === b.filter)!;
    const key = fieldKey(card.mart.mart, b.column);
    tags[b.filter] = {
      id: stableId(model.name, card.card.id, b.filter),
      name: b.filter,
      'display-name': f.label,
      type: 'dimension',
      dimension: ['field', refs.fields.get(key) ?? unresolved(`field ${key}`), null],
      'widget-type': widgetType(b.type),
    };
  }
  return tags;
}

/** The native question of one card, on its `analytics_*` view. */
export function cardPayload(model: DashboardModel, card: ResolvedCard, refs: CardRefs): CardPayload {
  const s = shape(model, card);
  const tags = templateTags(model, card, refs);
  const description = card.card.description?.trim().replace(/\s+/g, ' ');
  return {
    name: card.card.title,
    description: description === undefined || description === '' ? null : description,
    type: 'question',
    display: s.display,
    visualization_settings: s.settings,
    dataset_query: { type: 'native', database: refs.database, native: { query: s.sql, 'template-tags': tags } },
    parameters: Object.values(tags).map((t) => ({
      id: t.id,
      type: t['widget-type'],
      target: ['dimension', ['template-tag', t.name]] as const,
      name: t['display-name'],
      slug: t.name,
    })),
    collection_id: refs.collection,
  };
}

// ---------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------

export interface DashboardParameter {
  readonly id: string;
  readonly name: string;
  readonly slug: string;
  readonly type: string;
  readonly sectionId: string;
}

export interface ParameterMapping {
  readonly parameter_id: string;
  readonly card_id: Ref;
  readonly target: readonly ['dimension', readonly ['template-tag', string]];
}

export interface Dashcard {
  /** The existing dashcard's id, or a negative one for a new dashcard. */
  readonly id: number;
  readonly card_id: Ref;
  readonly row: number;
  readonly col: number;
  readonly size_x: number;
  readonly size_y: number;
  readonly parameter_mappings: readonly ParameterMapping[];
  readonly visualization_settings: Readonly<Record<string, unknown>>;
}

/** `POST /api/dashboard`'s body. */
export interface DashboardCreatePayload {
  readonly name: string;
  readonly description: string | null;
  readonly collection_id: Ref;
  readonly parameters: readonly DashboardParameter[];
}

/** `PUT /api/dashboard/:id`'s body: the dashboard, its filters and its dashcards. */
export interface DashboardPayload extends DashboardCreatePayload {
  readonly dashcards: readonly Dashcard[];
}

export const dashboardParameters = (model: DashboardModel): DashboardParameter[] =>
  model.filters.map((f) => ({ id: f.id, name: f.label, slug: f.id, type: widgetType(f.type), sectionId: sectionId(f.type) }));

/** Where a card sits: the contract's layout on Metabase's grid (the same 24 columns). */
export function dashcardLayout(model: DashboardModel, card: ResolvedCard): Pick<Dashcard, 'row' | 'col' | 'size_x' | 'size_y'> {
  const l = card.card.layout;
  if (l.col + l.width > METABASE_GRID_WIDTH)
    throw new StreamPulseError(
      'METABASE_LAYOUT',
      `${model.file}: card "${card.card.id}" spans columns ${l.col}–${l.col + l.width} of a ${METABASE_GRID_WIDTH}-column grid`,
      { remedy: `keep layout.col + layout.width ≤ ${METABASE_GRID_WIDTH}` },
    );
  return { row: l.row, col: l.col, size_x: l.width, size_y: l.height };
}

/**
 * The dashboard with its dashcards: `cards` gives each contract card's question id and,
 * for an existing dashcard, its id (new dashcards get -1, -2, … in reading order).
 */
export function dashboardPayload(
  model: DashboardModel,
  refs: { readonly collection: Ref; readonly cards: ReadonlyMap<string, { readonly cardId: Ref; readonly dashcardId?: number | undefined }> },
): DashboardPayload {
  let next = 0;
  const dashcards = model.cards.map((card): Dashcard => {
    const r = refs.cards.get(card.card.id);
    const cardId = r?.cardId ?? unresolved(`card ${card.card.id}`);
    return {
      id: r?.dashcardId ?? --next,
      card_id: cardId,
      ...dashcardLayout(model, card),
      parameter_mappings: card.filters.map((b) => ({ parameter_id: b.filter, card_id: cardId, target: ['dimension', ['template-tag', b.filter]] as const })),
      visualization_settings: {},
    };
  });
  return {
    name: model.title,
    description: model.description === '' ? null : model.description,
    collection_id: refs.collection,
    parameters: dashboardParameters(model),
    dashcards,
  };
}

/** Two cards with one title would be one question: questions are found again by name. */
export function checkTitles(model: DashboardModel): void {
  const seen = new Map<string, string>();
  for (const c of model.cards) {
    const other = seen.get(c.card.title);
    if (other !== undefined)
      throw new StreamPulseError('METABASE_DUPLICATE_TITLE', `${model.file}: cards "${other}" and "${c.card.id}" share the title "${c.card.title}"`, {
        remedy: 'give every card its own title: Metabase questions are found again by their name in the collection',
      });
    seen.set(c.card.title, c.card.id);
  }
}

// ---------------------------------------------------------------------------
// Everything, for `streampulse generate` (templates with unresolved ids)
// ---------------------------------------------------------------------------

export interface MetabasePayloads {
  readonly database: DatabasePayload;
  readonly collection: CollectionPayload;
  /** Card id → its question, in reading order. */
  readonly cards: Readonly<Record<string, CardPayload>>;
  readonly dashboard: DashboardPayload;
}

/**
 * Every payload of the dashboard contract (the only one, or the one named), ids
 * unresolved: what `provisionMetabase` sends, before Metabase has assigned any id.
 */
export function metabasePayloads(set: ContractSet, options: { readonly dashboard?: string; readonly database?: DatabaseTarget } = {}): MetabasePayloads {
  const model = dashboardModel(set, options.dashboard);
  checkTitles(model);
  const refs: CardRefs = { database: unresolved('database'), collection: unresolved('collection'), fields: new Map() };
  const cards: Record<string, CardPayload> = {};
  for (const c of model.cards) cards[c.card.id] = cardPayload(model, c, refs);
  return {
    database: databasePayload(options.database),
    collection: collectionPayload(model),
    cards,
    dashboard: dashboardPayload(model, { collection: refs.collection, cards: new Map() }),
  };
}
