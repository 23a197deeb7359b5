/**
 * An in-process fake of Metabase's REST API (node:http on 127.0.0.1, a free port) for the
 * provisioning tests. It holds state — databases with their synced tables and fields,
 * collections, cards, dashboards with dashcards — answers in the response shapes of
 * Metabase's API sources (src/metabase/warehouses_rest/api.clj, collections_rest/api.clj,
 * queries_rest/api/card.clj, dashboards_rest/api.clj), checks request bodies against their
 * closed schemas (an unknown key is a 400, as Metabase's malli validation answers), and
 * records every request. Failures can be injected per method and path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface RecordedRequest {
  readonly method: string;
  /** Path with its query string, e.g. `/api/collection/1/items?models=card&models=dashboard`. */
  readonly path: string;
  readonly apiKey: string | undefined;
  readonly body: unknown;
}

/** A view or table of the warehouse: what a schema sync of any sqlserver database finds. */
export interface WarehouseTable {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly string[];
}

interface Failure {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  readonly body: string;
  readonly when: ((body: unknown) => boolean) | undefined;
  remaining: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

const PROTECTED = '**MetabasePass**';
const SENSITIVE = ['password', 'tunnel-pass', 'tunnel-private-key', 'tunnel-private-key-passphrase'];
const ENGINES = new Set(['sqlserver', 'postgres', 'h2', 'mysql']);

const DB_CREATE_KEYS = [
  'name',
  'engine',
  'details',
  'is_full_sync',
  'is_on_demand',
  'schedules',
  'auto_run_queries',
  'cache_ttl',
  'connection_source',
  'provider_name',
  'is_stub',
];
const DB_UPDATE_KEYS = [
  'name',
  'engine',
  'refingerprint',
  'details',
  'write_data_details',
  'schedules',
  'is_full_sync',
  'is_on_demand',
  'description',
  'caveats',
  'points_of_interest',
  'auto_run_queries',
  'cache_ttl',
  'provider_name',
  'settings',
  'is_stub',
];
const COLLECTION_CREATE_KEYS = ['name', 'description', 'parent_id', 'namespace', 'authority_level'];
const COLLECTION_UPDATE_KEYS = ['name', 'description', 'archived', 'parent_id', 'authority_level', 'type'];
const CARD_CREATE_KEYS = [
  'name',
  'type',
  'dataset_query',
  'entity_id',
  'parameters',
  'parameter_mappings',
  'description',
  'display',
  'visualization_settings',
  'collection_id',
  'collection_position',
  'result_metadata',
  'cache_ttl',
  'dashboard_id',
  'dashboard_tab_id',
  'size',
  'source_card_id',
];
const CARD_UPDATE_KEYS = [
  'name',
  'parameters',
  'parameter_mappings',
  'dataset_query',
  'type',
  'display',
  'description',
  'visualization_settings',
  'archived',
  'enable_embedding',
  'embedding_type',
  'embedding_params',
  'collection_id',
  'collection_position',
  'result_metadata',
  'cache_ttl',
  'collection_preview',
  'dashboard_id',
  'dashboard_tab_id',
];
const DASHBOARD_CREATE_KEYS = ['name', 'parameters', 'description', 'cache_ttl', 'collection_id', 'collection_position'];
const DASHBOARD_UPDATE_KEYS = [
  'name',
  'description',
  'caveats',
  'points_of_interest',
  'show_in_getting_started',
  'enable_embedding',
  'embedding_type',
  'embedding_params',
  'parameters',
  'position',
  'width',
  'archived',
  'auto_apply_filters',
  'collection_id',
  'collection_position',
  'cache_ttl',
  'dashcards',
  'tabs',
];
const DASHCARD_KEYS = [
  'id',
  'size_x',
  'size_y',
  'row',
  'col',
  'card_id',
  'action_id',
  'dashboard_tab_id',
  'parameter_mappings',
  'visualization_settings',
  'inline_parameters',
  'series',
];

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** Metabase's malli validation of a closed map: unknown keys and missing required keys are a 400. */
function closed(body: unknown, allowed: readonly string[], required: readonly string[] = []): Json {
  if (!isObject(body)) throw new HttpError(400, { errors: { body: 'value must be a map' } });
  const errors: Json = {};
  for (const k of Object.keys(body)) if (!allowed.includes(k)) errors[k] = 'disallowed key';
  for (const k of required) if (body[k] === undefined || body[k] === null || body[k] === '') errors[k] = 'missing required key';
  if (Object.keys(errors).length > 0) throw new HttpError(400, { errors, 'specific-errors': errors });
  return body;
}

export class FakeMetabase {
  readonly requests: RecordedRequest[] = [];
  readonly databases = new Map<number, Json>();
  /** Synced tables per database (what GET /api/database/:id/metadata lists). */
  readonly tables = new Map<number, Json[]>();
  readonly collections = new Map<number, Json>();
  readonly cards = new Map<number, Json>();
  readonly dashboards = new Map<number, Json>();
  /** `dataset_query` shape of GET /api/card/:id: legacy (≤ v56) or MBQL 5 (v57+, without ?legacy-mbql=true). */
  cardQueryShape: 'legacy' | 'mbql5' = 'legacy';
  /** Metadata reads after a sync before its tables appear (the sync runs in the background). */
  syncDelay = 1;
  readonly #failures: Failure[] = [];
  readonly #pendingSyncs = new Map<number, number>();
  #nextId = { database: 1, table: 1, field: 100, collection: 1, card: 1, dashboard: 1, dashcard: 1 };
  #server: Server | undefined;
  #url = '';

  constructor(
    readonly apiKey: string,
    readonly warehouse: readonly WarehouseTable[],
  ) {}

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (this.#server !== undefined) await new Promise<void>((resolve, reject) => this.#server!.close((e) => (e ? reject(e) : resolve())));
  }

  /** Answers `status` with `body` for the next `times` requests matching method, path (and `when` on the request body). */
  fail(method: string, path: RegExp, status: number, body: string, options: { times?: number; when?: (body: unknown) => boolean } = {}): void {
    this.#failures.push({ method, path, status, body, when: options.when, remaining: options.times ?? 1 });
  }

  /** The recorded requests as `METHOD path` lines, e.g. for an order assertion. */
  lines(since = 0): string[] {
    return this.requests.slice(since).map((r) => `${r.method} ${r.path}`);
  }

  /** The requests that change something. */
  writes(since = 0): RecordedRequest[] {
    return this.requests.slice(since).filter((r) => r.method !== 'GET');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const apiKey = req.headers['x-api-key'] as string | undefined;
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    this.requests.push({ method, path, apiKey, body });
    const send = (status: number, payload: unknown): void => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json' });
      res.end(text);
    };
    // Metabase answers a request without a valid session or API key with 401 "Unauthenticated"
    if (apiKey !== this.apiKey) return send(401, 'Unauthenticated');
    const failure = this.#failures.find((f) => f.remaining > 0 && f.method === method && f.path.test(path) && (f.when === undefined || f.when(body)));
    if (failure !== undefined) {
      failure.remaining--;
      return send(failure.status, failure.body);
    }
    try {
      send(200, this.#route(method, path, body));
    } catch (e) {
      if (e instanceof HttpError) send(e.status, e.body);
      else send(500, { message: String(e) });
    }
  }

  #route(method: string, fullPath: string, body: unknown): unknown {
    const [path = '', query = ''] = fullPath.split('?');
    const params = new URLSearchParams(query);
    const m = (re: RegExp): RegExpExecArray | null => re.exec(path);
    let r: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/database') {
      const data = [...this.databases.values()].map((d) => this.#presentDatabase(d));
      return { data, total: data.length };
    }
    if (method === 'POST' && path === '/api/database') return this.#createDatabase(body);
    if ((r = m(/^\/api\/database\/(\d+)$/))) {
      const db = this.#get(this.databases, r[1]!);
      if (method === 'GET') return this.#presentDatabase(db);
      if (method === 'PUT') return this.#updateDatabase(db, body);
    }
    if (method === 'GET' && (r = m(/^\/api\/database\/(\d+)\/metadata$/))) {
      const db = this.#get(this.databases, r[1]!);
      const id = db['id'] as number;
      const pending = this.#pendingSyncs.get(id);
      if (pending !== undefined) {
        if (pending <= 0) {
          this.#sync(id);
          this.#pendingSyncs.delete(id);
        } else this.#pendingSyncs.set(id, pending - 1);
      }
      return { ...this.#presentDatabase(db), tables: clone(this.tables.get(id) ?? []) };
    }
    if (method === 'POST' && (r = m(/^\/api\/database\/(\d+)\/sync_schema$/))) {
      const db = this.#get(this.databases, r[1]!);
      this.#pendingSyncs.set(db['id'] as number, this.syncDelay);
      return { status: 'ok' };
    }
    if (method === 'GET' && path === '/api/collection') {
      const root = { id: 'root', name: 'Our analytics', can_write: true, effective_location: null, parent_id: null, is_personal: false, can_delete: false };
      return [root, ...[...this.collections.values()].filter((c) => c['archived'] !== true).map(clone)];
    }
    if (method === 'POST' && path === '/api/collection') {
      const b = closed(body, COLLECTION_CREATE_KEYS, ['name']);
      const id = this.#nextId.collection++;
      const c: Json = {
        id,
        name: b['name'],
        description: b['description'] ?? null,
        slug: String(b['name'])
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_'),
        archived: false,
        location: '/',
        personal_owner_id: null,
        namespace: null,
        authority_level: null,
        type: null,
        entity_id: `coll${String(id).padStart(17, '0')}`,
        created_at: '2026-01-01T00:00:00Z',
      };
      this.collections.set(id, c);
      return clone(c);
    }
    if (method === 'PUT' && (r = m(/^\/api\/collection\/(\d+)$/))) {
      const c = this.#get(this.collections, r[1]!);
      Object.assign(c, closed(body, COLLECTION_UPDATE_KEYS));
      return clone(c);
    }
    if (method === 'GET' && (r = m(/^\/api\/collection\/(\d+)\/items$/))) {
      const c = this.#get(this.collections, r[1]!);
      const models = params.getAll('models');
      const want = (x: string): boolean => models.length === 0 || models.includes(x);
      const archived = params.get('archived') === 'true';
      const data: Json[] = [];
      if (want('card'))
        for (const card of this.cards.values())
          if (card['collection_id'] === c['id'] && card['archived'] === archived && card['dashboard_id'] === null)
            data.push({
              id: card['id'],
              name: card['name'],
              description: card['description'],
              entity_id: card['entity_id'],
              collection_position: null,
              display: card['display'],
              dashboard_id: null,
              collection_id: card['collection_id'],
              archived: card['archived'],
              model: 'card',
              database_id: card['database_id'],
              fully_parameterized: true,
            });
      if (want('dashboard'))
        for (const d of this.dashboards.values())
          if (d['collection_id'] === c['id'] && d['archived'] === archived)
            data.push({
              id: d['id'],
              name: d['name'],
              description: d['description'],
              entity_id: d['entity_id'],
              collection_id: d['collection_id'],
              archived: d['archived'],
              model: 'dashboard',
              location: '/',
            });
      return { total: data.length, data, models: models.length === 0 ? ['card', 'dashboard'] : models, limit: null, offset: null };
    }
    if (method === 'POST' && path === '/api/card') return this.#createCard(body);
    if ((r = m(/^\/api\/card\/(\d+)$/))) {
      const card = this.#get(this.cards, r[1]!);
      if (method === 'GET') return this.#presentCard(card);
      if (method === 'PUT') {
        const b = closed(body, CARD_UPDATE_KEYS);
        Object.assign(card, clone(b), { updated_at: '2026-01-02T00:00:00Z' });
        if (isObject(b['dataset_query'])) card['database_id'] = b['dataset_query']['database'];
        return this.#presentCard(card);
      }
    }
    if (method === 'POST' && path === '/api/dashboard') {
      const b = closed(body, DASHBOARD_CREATE_KEYS, ['name']);
      const id = this.#nextId.dashboard++;
      const d: Json = {
        id,
        name: b['name'],
        description: b['description'] ?? null,
        collection_id: b['collection_id'] ?? null,
        parameters: clone(b['parameters'] ?? []),
        dashcards: [],
        tabs: [],
        archived: false,
        width: 'fixed',
        auto_apply_filters: true,
        entity_id: `dash${String(id).padStart(17, '0')}`,
        created_at: '2026-01-01T00:00:00Z',
      };
      this.dashboards.set(id, d);
      return this.#presentDashboard(d);
    }
    if ((r = m(/^\/api\/dashboard\/(\d+)$/))) {
      const d = this.#get(this.dashboards, r[1]!);
      if (method === 'GET') return this.#presentDashboard(d);
      if (method === 'PUT') return this.#updateDashboard(d, body);
    }
    throw new HttpError(404, 'API endpoint does not exist.');
  }

  #get(map: Map<number, Json>, id: string): Json {
    const v = map.get(Number(id));
    if (v === undefined) throw new HttpError(404, 'Not found.');
    return v;
  }

  #presentDatabase(db: Json): Json {
    const details = clone(db['details'] as Json);
    for (const k of SENSITIVE) if (typeof details[k] === 'string' && details[k] !== '') details[k] = PROTECTED;
    return { ...clone(db), details, features: ['native-parameters', 'basic-aggregations'], native_permissions: 'write', can_upload: false };
  }

  #createDatabase(body: unknown): Json {
    const b = closed(body, DB_CREATE_KEYS, ['name', 'engine', 'details']);
    if (!ENGINES.has(String(b['engine']))) throw new HttpError(400, { errors: { engine: 'value must be a valid database engine.' } });
    const details = b['details'];
    if (!isObject(details)) throw new HttpError(400, { errors: { details: 'value must be a map.' } });
    this.#testConnection(details);
    const id = this.#nextId.database++;
    const db: Json = {
      id,
      name: b['name'],
      engine: b['engine'],
      details: clone(details),
      is_full_sync: b['is_full_sync'] ?? true,
      is_on_demand: b['is_on_demand'] ?? false,
      auto_run_queries: b['auto_run_queries'] ?? true,
      is_sample: false,
      initial_sync_status: 'incomplete',
      created_at: '2026-01-01T00:00:00Z',
    };
    this.databases.set(id, db);
    this.tables.set(id, []);
    return this.#presentDatabase(db);
  }

  /** What the sqlserver driver (mssql-jdbc) refuses: a password with managed-identity authentication. */
  #testConnection(details: Json): void {
    const opts = String(details['additional-options'] ?? '');
    if (/authentication=ActiveDirectoryManagedIdentity/i.test(opts) && typeof details['password'] === 'string' && details['password'] !== '')
      throw new HttpError(400, { message: 'Cannot use "Authentication=ActiveDirectoryManagedIdentity" with "Password" connection string keyword.' });
  }

  #updateDatabase(db: Json, body: unknown): Json {
    const b = closed(body, DB_UPDATE_KEYS);
    if (isObject(b['details'])) {
      // upsert-sensitive-fields: a masked secret keeps the stored one; the new details merge over the old
      const incoming = clone(b['details']);
      const old = db['details'] as Json;
      for (const k of SENSITIVE) if (incoming[k] === PROTECTED) incoming[k] = old[k];
      const merged = { ...old, ...incoming };
      this.#testConnection(merged);
      db['details'] = merged;
    }
    for (const k of ['name', 'engine', 'is_full_sync', 'is_on_demand', 'auto_run_queries', 'description'] as const) if (b[k] !== undefined) db[k] = b[k];
    return this.#presentDatabase(db);
  }

  #sync(dbId: number): void {
    const tables: Json[] = this.warehouse.map((t) => {
      const tableId = this.#nextId.table++;
      return {
        id: tableId,
        db_id: dbId,
        schema: t.schema,
        name: t.name,
        display_name: t.name,
        entity_type: 'entity/GenericTable',
        active: true,
        visibility_type: null,
        fields: t.columns.map((c, i) => ({
          id: this.#nextId.field++,
          table_id: tableId,
          name: c,
          display_name: c,
          database_position: i,
          base_type: 'type/Text',
          semantic_type: null,
          visibility_type: 'normal',
        })),
      };
    });
    this.tables.set(dbId, tables);
    const db = this.databases.get(dbId);
    if (db !== undefined) db['initial_sync_status'] = 'complete';
  }

  #createCard(body: unknown): Json {
    const b = closed(body, CARD_CREATE_KEYS, ['name', 'dataset_query', 'display', 'visualization_settings']);
    const q = b['dataset_query'];
    if (!isObject(q) || typeof q['database'] !== 'number')
      throw new HttpError(400, { errors: { dataset_query: 'value must be a valid query with a database id' } });
    if (b['collection_id'] !== undefined && b['collection_id'] !== null && !this.collections.has(b['collection_id'] as number))
      throw new HttpError(404, 'Not found.');
    const id = this.#nextId.card++;
    const card: Json = {
      id,
      entity_id: `card${String(id).padStart(17, '0')}`,
      name: b['name'],
      description: b['description'] ?? null,
      type: b['type'] ?? 'question',
      display: b['display'],
      visualization_settings: clone(b['visualization_settings']),
      dataset_query: clone(q),
      parameters: clone(b['parameters'] ?? []),
      parameter_mappings: clone(b['parameter_mappings'] ?? []),
      collection_id: b['collection_id'] ?? null,
      collection_position: null,
      dashboard_id: null,
      database_id: q['database'],
      query_type: q['type'] === 'native' ? 'native' : 'query',
      archived: false,
      enable_embedding: false,
      result_metadata: null,
      creator_id: 1,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
    this.cards.set(id, card);
    return this.#presentCard(card);
  }

  /** GET /api/card/:id: v57+ returns the query as MBQL 5 (`stages`, field clauses `["field", opts, id]`). */
  #presentCard(card: Json): Json {
    const out: Json = { ...clone(card), can_write: true, dashboard_count: 0, creator: { id: 1, common_name: 'API key' } };
    const q = card['dataset_query'];
    if (this.cardQueryShape === 'mbql5' && isObject(q) && isObject(q['native'])) {
      const tags = clone((q['native']['template-tags'] ?? {}) as Record<string, Json>);
      for (const t of Object.values(tags))
        if (Array.isArray(t['dimension'])) {
          const [, id, opts] = t['dimension'] as unknown[];
          t['dimension'] = ['field', { ...(isObject(opts) ? opts : {}), 'lib/uuid': 'x', 'base-type': 'type/Text' }, id];
        }
      out['dataset_query'] = {
        'lib/type': 'mbql/query',
        database: q['database'],
        stages: [{ 'lib/type': 'mbql.stage/native', native: q['native']['query'], 'template-tags': tags }],
      };
    }
    return out;
  }

  #presentDashboard(d: Json): Json {
    const dashcards = (d['dashcards'] as Json[]).map((dc) => {
      const card = this.cards.get(dc['card_id'] as number);
      return { ...clone(dc), card: card === undefined ? null : this.#presentCard(card), series: [] };
    });
    return { ...clone(d), dashcards, can_write: true, collection_authority_level: null, param_fields: {} };
  }

  #updateDashboard(d: Json, body: unknown): Json {
    const b = closed(body, DASHBOARD_UPDATE_KEYS);
    if (Array.isArray(b['dashcards'])) {
      const current = new Map((d['dashcards'] as Json[]).map((dc) => [dc['id'] as number, dc]));
      const next: Json[] = [];
      const ids = new Set<number>();
      for (const raw of b['dashcards']) {
        const dc = closed(raw, DASHCARD_KEYS, ['id', 'size_x', 'size_y']);
        for (const k of ['row', 'col'] as const)
          if (typeof dc[k] !== 'number' || (dc[k] as number) < 0) throw new HttpError(400, { errors: { [k]: 'must be ≥ 0' } });
        const id = dc['id'] as number;
        if (ids.has(id)) throw new HttpError(400, { errors: { dashcards: 'value must be seq of maps in which :ids are unique' } });
        ids.add(id);
        const cardId = dc['card_id'] as number;
        const card = this.cards.get(cardId);
        if (card === undefined) throw new HttpError(404, 'Not found.');
        if (id < 0 && card['archived'] === true) throw new HttpError(404, 'The object has been archived.');
        for (const pm of (dc['parameter_mappings'] ?? []) as Json[])
          if (!(d['parameters'] as Json[]).concat((b['parameters'] ?? []) as Json[]).some((p) => p['id'] === pm['parameter_id']))
            throw new HttpError(400, { message: `parameter ${String(pm['parameter_id'])} is not a dashboard parameter` });
        if (id >= 0 && !current.has(id)) throw new HttpError(404, 'Not found.');
        const kept = id >= 0 ? current.get(id)! : { id: this.#nextId.dashcard++, dashboard_id: d['id'], created_at: '2026-01-01T00:00:00Z' };
        next.push({
          ...kept,
          card_id: cardId,
          row: dc['row'],
          col: dc['col'],
          size_x: dc['size_x'],
          size_y: dc['size_y'],
          parameter_mappings: clone(dc['parameter_mappings'] ?? []),
          visualization_settings: clone(dc['visualization_settings'] ?? {}),
          dashboard_tab_id: null,
          action_id: null,
        });
      }
      d['dashcards'] = next;
    }
    for (const k of ['name', 'description', 'parameters', 'collection_id', 'archived', 'width'] as const) if (b[k] !== undefined) d[k] = clone(b[k]);
    return this.#presentDashboard(d);
  }
}
