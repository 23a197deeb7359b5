/**
 * Provisions a dashboard contract into Metabase, idempotently: the serving database entry,
 * the collection, one native question per card and the dashboard (dashcards + filters).
 * Each object is found again by its stable name (the database entry's fixed name; the
 * collection = the dashboard's title, at the root; questions and the dashboard by name in
 * that collection), compared field by field and created, updated or left alone. A card
 * that left the contract loses its dashcard and its question is archived (never deleted).
 *
 * Order: database → (schema sync when a filter column's field is not known yet) →
 * collection → questions → dashboard → archive. A dry run only reads (GETs); without a
 * client it plans against an empty Metabase, ids unresolved (`<what>`).
 */
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { dashboardModel } from '../model.js';
import type { MetabaseClient } from './client.js';
import { diffCard, diffCollection, diffDashboard, diffDatabase, type Json, type PlanItem, redactDatabase, unresolvedRefs } from './diff.js';
import {
  absentDetailKeys,
  type CardRefs,
  cardPayload,
  checkTitles,
  collectionPayload,
  type DatabaseTarget,
  dashboardPayload,
  databasePayload,
  fieldKey,
  isResolved,
  type Ref,
  unresolved,
} from './payloads.js';

export interface SyncOptions {
  /** How many times the metadata is read again after a schema sync (default 30). */
  readonly attempts?: number;
  /** Between reads (default 2000 ms). */
  readonly intervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ProvisionOptions {
  /** The Metabase to provision; none: plan against an empty Metabase (dry run only). */
  readonly client?: MetabaseClient | undefined;
  /** Read only (GETs) and return the plan. */
  readonly dryRun?: boolean | undefined;
  /** The dashboard contract (default: the only one). */
  readonly dashboard?: string | undefined;
  readonly database?: DatabaseTarget | undefined;
  /** One line per change made (a live run). */
  readonly onProgress?: ((line: string) => void) | undefined;
  readonly sync?: SyncOptions | undefined;
}

export interface ProvisionResult {
  readonly dryRun: boolean;
  /** The Metabase planned against, or null for an empty one. */
  readonly url: string | null;
  /** Database, collection, questions (reading order), dashboard, archived questions. */
  readonly items: readonly PlanItem[];
  /** Whether anything is (or would be) created, updated or archived. */
  readonly changed: boolean;
  /** References Metabase has not assigned yet (dry run): `<database>`, `<field serving.v.c>`, … */
  readonly unresolved: readonly string[];
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function idOf(created: unknown, what: string): number {
  const id = isObject(created) ? num(created['id']) : undefined;
  if (id === undefined)
    throw new StreamPulseError('METABASE_API_ERROR', `${what}: Metabase's answer carries no id`, {
      remedy: "check that --url is the Metabase site's root and that its version has the current API (the answer should be the created object)",
    });
  return id;
}

/** `GET /api/database/:id/metadata` → `serving.<table>.<column>` → field id. */
async function readFields(client: MetabaseClient, db: number): Promise<Map<string, number>> {
  const meta = await client.get<Json>(`/api/database/${db}/metadata`, { what: 'reading the serving database metadata' });
  const out = new Map<string, number>();
  for (const t of Array.isArray(meta['tables']) ? meta['tables'] : [])
    if (isObject(t))
      for (const f of Array.isArray(t['fields']) ? t['fields'] : [])
        if (isObject(f) && typeof f['name'] === 'string' && num(f['id']) !== undefined)
          out.set(`${String(t['schema'] ?? '')}.${String(t['name'])}.${f['name']}`, f['id'] as number);
  return out;
}

function assertResolved(payload: unknown, what: string): void {
  const refs = [...unresolvedRefs(payload)];
  if (refs.length > 0) throw new Error(`bug: ${what} would send unresolved ${refs.join(', ')}`);
}

/** A plan item for an object Metabase does not hold yet (its id once created, if it was). */
function createItem(kind: PlanItem['kind'], key: string, name: string, id: Ref, payload: unknown): PlanItem {
  return { kind, key, name, action: 'create', id: isResolved(id) ? id : undefined, changes: [], payload };
}

/** A plan item for an object Metabase holds: updated when anything differs. */
function compareItem(kind: PlanItem['kind'], key: string, name: string, id: number, changes: readonly string[], payload: unknown): PlanItem {
  return { kind, key, name, action: changes.length > 0 ? 'update' : 'unchanged', id, changes, payload };
}

export async function provisionMetabase(set: ContractSet, options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const client = options.client;
  const dryRun = options.dryRun === true;
  if (!dryRun && client === undefined) throw new Error('bug: provisionMetabase needs a client unless it is a dry run');
  const apply = !dryRun;
  const progress = (line: string): void => {
    if (apply) options.onProgress?.(line);
  };
  const model = dashboardModel(set, options.dashboard);
  checkTitles(model);
  const items: PlanItem[] = [];

  // ---- the serving database entry
  const dbWant = databasePayload(options.database);
  if (apply) {
    const missing = [...unresolvedRefs(dbWant.details)];
    if (missing.length > 0)
      throw new StreamPulseError('METABASE_NO_SQL_TARGET', `the serving database entry needs ${missing.join(' and ')}`, {
        remedy: 'pass --sql-server <host> and --sql-database <name> (or host and db in --database-connection)',
      });
  }
  let dbId: Ref = unresolved('database');
  let dbCurrent: Json | undefined;
  if (client !== undefined) {
    const list = await client.get<unknown>('/api/database', { what: 'reading databases' });
    const dbs = Array.isArray(list) ? list : isObject(list) && Array.isArray(list['data']) ? list['data'] : [];
    const found = dbs.filter(isObject).find((d) => d['name'] === dbWant.name && num(d['id']) !== undefined);
    if (found !== undefined) {
      dbId = found['id'] as number;
      dbCurrent = await client.get<Json>(`/api/database/${dbId}`, { what: 'reading the serving database' });
    }
  }
  if (dbCurrent === undefined) {
    if (apply) {
      dbId = idOf(await client!.post('/api/database', dbWant, { what: 'adding the serving database' }), 'adding the serving database');
      progress(`created database "${dbWant.name}" (id ${dbId})`);
    }
    items.push(createItem('database', dbWant.name, dbWant.name, dbId, redactDatabase(dbWant)));
  } else {
    const changes = diffDatabase(dbCurrent, dbWant);
    if (changes.length > 0 && apply) {
      const details: Record<string, unknown> = { ...dbWant.details };
      for (const k of absentDetailKeys(dbWant)) details[k] = null;
      await client!.put(`/api/database/${dbId}`, { engine: dbWant.engine, details }, { what: 'updating the serving database' });
      progress(`updated database "${dbWant.name}": ${changes.join(', ')}`);
    }
    items.push(compareItem('database', dbWant.name, dbWant.name, dbId as number, changes, redactDatabase(dbWant)));
  }

  // ---- the field ids of the filter columns (template tags are field filters)
  const needed = [...new Set(model.cards.flatMap((c) => c.filters.map((b) => fieldKey(c.mart.mart, b.column))))].sort();
  let fields = new Map<string, number>();
  if (client !== undefined && isResolved(dbId)) {
    fields = await readFields(client, dbId);
    if (apply && needed.some((k) => !fields.has(k))) {
      await client.post(`/api/database/${dbId}/sync_schema`, {}, { what: 'syncing the serving database schema' });
      progress(`syncing the schema of "${dbWant.name}" (the served views' columns are not known to Metabase yet)…`);
      const attempts = options.sync?.attempts ?? 30;
      const sleep = options.sync?.sleep ?? defaultSleep;
      for (let i = 0; i < attempts && needed.some((k) => !fields.has(k)); i++) {
        await sleep(options.sync?.intervalMs ?? 2000);
        fields = await readFields(client, dbId);
      }
      const missing = needed.filter((k) => !fields.has(k));
      if (missing.length > 0)
        throw new StreamPulseError('METABASE_FIELDS_MISSING', `after a schema sync Metabase still does not know ${missing.join(', ')}`, {
          remedy:
            "apply the serving migrations (`streampulse sql apply`) so the analytics_* views exist, and check that Metabase's identity is in the reader role (SELECT on the serving schema); then re-run",
        });
      progress(`synced: ${needed.length} filter columns known`);
    }
  }

  // ---- the collection (the dashboard's title, at the root)
  const collWant = collectionPayload(model);
  let collId: Ref = unresolved('collection');
  let collFound = false;
  if (client !== undefined) {
    const list = await client.get<unknown>('/api/collection', { what: 'reading collections' });
    const found = (Array.isArray(list) ? list : [])
      .filter(isObject)
      .filter((c) => c['name'] === collWant.name && c['archived'] !== true && (c['personal_owner_id'] ?? null) === null && (c['location'] ?? '/') === '/')
      .filter((c) => num(c['id']) !== undefined)
      .sort((a, b) => (a['id'] as number) - (b['id'] as number))[0];
    if (found !== undefined) {
      collFound = true;
      collId = found['id'] as number;
      const changes = diffCollection(found, collWant);
      if (changes.length > 0 && apply) {
        await client.put(`/api/collection/${collId}`, { description: collWant.description }, { what: 'updating the collection' });
        progress(`updated collection "${collWant.name}": ${changes.join(', ')}`);
      }
      items.push(compareItem('collection', collWant.name, collWant.name, collId, changes, collWant));
    }
  }
  if (!collFound) {
    if (apply) {
      collId = idOf(await client!.post('/api/collection', collWant, { what: 'creating the collection' }), 'creating the collection');
      progress(`created collection "${collWant.name}" (id ${collId})`);
    }
    items.push(createItem('collection', collWant.name, collWant.name, collId, collWant));
  }

  // ---- what the collection holds: questions by name, the dashboard
  const byName = new Map<string, number>();
  let dashCurrent: Json | undefined;
  if (client !== undefined && collFound) {
    const res = await client.get<unknown>(`/api/collection/${collId}/items?models=card&models=dashboard`, { what: 'reading the collection items' });
    const rows = (isObject(res) && Array.isArray(res['data']) ? res['data'] : Array.isArray(res) ? res : []).filter(isObject);
    for (const r of rows)
      if (r['model'] === 'card' && r['archived'] !== true && typeof r['name'] === 'string' && num(r['id']) !== undefined) {
        const prev = byName.get(r['name']);
        if (prev === undefined || (r['id'] as number) < prev) byName.set(r['name'], r['id'] as number);
      }
    const dash = rows
      .filter((r) => r['model'] === 'dashboard' && r['name'] === model.title && r['archived'] !== true && num(r['id']) !== undefined)
      .sort((a, b) => (a['id'] as number) - (b['id'] as number))[0];
    if (dash !== undefined) dashCurrent = await client.get<Json>(`/api/dashboard/${dash['id']}`, { what: 'reading the dashboard' });
  }

  // ---- one question per card
  const refs: CardRefs = { database: dbId, collection: collId, fields };
  const cardIds = new Map<string, Ref>();
  for (const card of model.cards) {
    const id = card.card.id;
    const want = cardPayload(model, card, refs);
    const existing = byName.get(want.name);
    if (existing === undefined) {
      let created: Ref = unresolved(`card ${id}`);
      if (apply) {
        assertResolved(want, `creating question for card "${id}"`);
        created = idOf(await client!.post('/api/card', want, { what: 'creating question', card: id }), `creating question for card "${id}"`);
        progress(`created question "${want.name}" for card "${id}" (id ${created})`);
      }
      cardIds.set(id, created);
      items.push(createItem('card', id, want.name, created, want));
      continue;
    }
    cardIds.set(id, existing);
    const current = await client!.get<Json>(`/api/card/${existing}`, { what: 'reading question', card: id });
    const changes = diffCard(current, want);
    if (changes.length > 0 && apply) {
      assertResolved(want, `updating question for card "${id}"`);
      await client!.put(
        `/api/card/${existing}`,
        { ...want, ...(current['archived'] === true ? { archived: false } : {}) },
        { what: 'updating question', card: id },
      );
      progress(`updated question "${want.name}" for card "${id}": ${changes.join(', ')}`);
    }
    items.push(compareItem('card', id, want.name, existing, changes, want));
  }

  // ---- questions of this collection on the dashboard that no card wants any more: archived
  const ours = new Set([...cardIds.values()].filter(isResolved));
  const currentDashcards = (dashCurrent !== undefined && Array.isArray(dashCurrent['dashcards']) ? dashCurrent['dashcards'] : []).filter(isObject);
  const leaving = new Map<number, Json>();
  for (const d of currentDashcards) {
    const cid = num(d['card_id']);
    if (cid === undefined || ours.has(cid) || leaving.has(cid)) continue;
    const card =
      isObject(d['card']) && num(d['card']['id']) === cid ? d['card'] : await client!.get<Json>(`/api/card/${cid}`, { what: `reading question ${cid}` });
    if (card['collection_id'] === collId && card['archived'] !== true) leaving.set(cid, card);
  }

  // ---- the dashboard: layout, filters, each card's filter wiring
  const dashRefs = new Map<string, { cardId: Ref; dashcardId?: number | undefined }>();
  const usedDashcards = new Set<number>();
  for (const card of model.cards) {
    const cardId = cardIds.get(card.card.id)!;
    const dc = currentDashcards.find((d) => d['card_id'] === cardId && num(d['id']) !== undefined && !usedDashcards.has(d['id'] as number));
    if (dc !== undefined) usedDashcards.add(dc['id'] as number);
    dashRefs.set(card.card.id, { cardId, dashcardId: dc === undefined ? undefined : (dc['id'] as number) });
  }
  const dashWant = dashboardPayload(model, { collection: collId, cards: dashRefs });
  if (dashCurrent === undefined) {
    let dashId: Ref = unresolved('dashboard');
    if (apply) {
      const { dashcards: _dashcards, ...create } = dashWant;
      assertResolved(dashWant, 'creating the dashboard');
      dashId = idOf(await client!.post('/api/dashboard', create, { what: 'creating the dashboard' }), 'creating the dashboard');
      await client!.put(`/api/dashboard/${dashId}`, dashWant, { what: 'laying out the dashboard' });
      progress(`created dashboard "${dashWant.name}" with ${dashWant.dashcards.length} cards (id ${dashId})`);
    }
    items.push(createItem('dashboard', model.name, dashWant.name, dashId, dashWant));
  } else {
    const dashId = dashCurrent['id'] as number;
    const changes = diffDashboard(dashCurrent, dashWant);
    if (changes.length > 0 && apply) {
      assertResolved(dashWant, 'updating the dashboard');
      await client!.put(`/api/dashboard/${dashId}`, dashWant, { what: 'updating the dashboard' });
      progress(`updated dashboard "${dashWant.name}": ${changes.join(', ')}`);
    }
    items.push(compareItem('dashboard', model.name, dashWant.name, dashId, changes, dashWant));
  }

  for (const [cid, card] of leaving) {
    const name = String(card['name']);
    if (apply) {
      await client!.put(`/api/card/${cid}`, { archived: true }, { what: `archiving question ${cid} ("${name}")` });
      progress(`archived question "${name}" (id ${cid}): no card of the contract shows it any more`);
    }
    items.push({ kind: 'card', key: name, name, action: 'archive', id: cid, changes: ['archived'], payload: { archived: true } });
  }

  const changed = items.some((i) => i.action !== 'unchanged');
  const refsLeft = new Set<string>();
  for (const i of items) unresolvedRefs(i.payload, refsLeft);
  return { dryRun, url: client?.url ?? null, items, changed, unresolved: [...refsLeft].sort() };
}
