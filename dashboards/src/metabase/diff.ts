/**
 * What Metabase holds against what the contract wants: each object's action (create,
 * update with the changed fields, unchanged, archive). Objects are read in the shapes
 * Metabase's API returns (`GET /api/database/:id`, `/api/card/:id`, `/api/dashboard/:id`);
 * only the fields the payloads set are compared, so what Metabase adds (creator, timestamps,
 * result metadata, hydrated cards) never counts as a change. Pure.
 */
import { type CardPayload, type CollectionPayload, type DashboardPayload, type DatabasePayload, absentDetailKeys, SENSITIVE_DETAIL_KEYS } from './payloads.js';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'archive';
export type PlanKind = 'database' | 'collection' | 'card' | 'dashboard';

export interface PlanItem {
  readonly kind: PlanKind;
  /** Stable key: the contract card's id for a card, the object's name otherwise. */
  readonly key: string;
  /** Its name in Metabase. */
  readonly name: string;
  readonly action: PlanAction;
  /** The Metabase id of an existing object. */
  readonly id?: number | undefined;
  /** For an update: the fields that differ (e.g. `dataset_query`, `details.host`). */
  readonly changes: readonly string[];
  /** What is (or would be) sent, ids unresolved where Metabase has not assigned them yet. */
  readonly payload?: unknown;
}

/** Loosely typed JSON object as the API returns it. */
export type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep equality of JSON values; object key order and `undefined` members do not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  // null and absent are the same to Metabase's optional fields
  return (a === null || a === undefined) && (b === null || b === undefined);
}

/** Metabase's mask for a stored secret (the value is never returned). */
export const PROTECTED_PASSWORD = '**MetabasePass**';

export function diffDatabase(current: Json, desired: DatabasePayload): string[] {
  const changes: string[] = [];
  if (current['engine'] !== desired.engine) changes.push('engine');
  const details = isObject(current['details']) ? current['details'] : {};
  for (const [k, v] of Object.entries(desired.details)) {
    const now = details[k];
    // a stored secret comes back masked: it cannot be compared, so it is left as it is
    if (SENSITIVE_DETAIL_KEYS.has(k) && now === PROTECTED_PASSWORD) continue;
    if (!jsonEqual(now, v)) changes.push(`details.${k}`);
  }
  for (const k of absentDetailKeys(desired)) {
    const now = details[k];
    if (now !== undefined && now !== null && now !== '') changes.push(`details.${k}`);
  }
  return changes;
}

export function diffCollection(current: Json, desired: CollectionPayload): string[] {
  return jsonEqual(current['description'], desired.description) ? [] : ['description'];
}

/** A field filter's field id in a legacy (`["field", id, opts]`) or MBQL 5 (`["field", opts, id]`) clause. */
function fieldId(dimension: unknown): unknown {
  if (!Array.isArray(dimension)) return dimension;
  return dimension.find((x) => typeof x === 'number') ?? dimension.find((x) => typeof x === 'string' && x !== 'field');
}

interface NormalTag {
  name: unknown;
  displayName: unknown;
  type: unknown;
  widgetType: unknown;
  field: unknown;
}

/**
 * The parts of a native `dataset_query` the payload sets, from the legacy shape
 * (`{type: "native", native: {query, template-tags}, database}`) or the MBQL 5 one
 * Metabase 57+ returns (`{database, stages: [{native, template-tags}]}`).
 */
export function normalNativeQuery(q: unknown): { database: unknown; query: unknown; tags: Record<string, NormalTag> } | undefined {
  if (!isObject(q)) return undefined;
  let query: unknown;
  let tags: unknown;
  if (isObject(q['native'])) {
    query = q['native']['query'];
    tags = q['native']['template-tags'];
  } else if (Array.isArray(q['stages']) && q['stages'].length === 1 && isObject(q['stages'][0]) && typeof q['stages'][0]['native'] === 'string') {
    query = q['stages'][0]['native'];
    tags = q['stages'][0]['template-tags'];
  } else return undefined;
  const out: Record<string, NormalTag> = {};
  if (isObject(tags))
    for (const [k, t] of Object.entries(tags))
      if (isObject(t))
        out[k] = { name: t['name'], displayName: t['display-name'], type: t['type'], widgetType: t['widget-type'], field: fieldId(t['dimension']) };
  return { database: q['database'], query, tags: out };
}

const normalParameters = (ps: unknown): unknown =>
  Array.isArray(ps) ? ps.map((p) => (isObject(p) ? { id: p['id'], type: p['type'], target: p['target'], name: p['name'], slug: p['slug'] } : p)) : ps;

export function diffCard(current: Json, desired: CardPayload): string[] {
  const changes: string[] = [];
  for (const k of ['name', 'description', 'display', 'collection_id'] as const) if (!jsonEqual(current[k], desired[k])) changes.push(k);
  if (!jsonEqual(current['visualization_settings'] ?? {}, desired.visualization_settings)) changes.push('visualization_settings');
  if (!jsonEqual(normalNativeQuery(current['dataset_query']), normalNativeQuery(desired.dataset_query))) changes.push('dataset_query');
  if (!jsonEqual(normalParameters(current['parameters'] ?? []), normalParameters(desired.parameters))) changes.push('parameters');
  if (current['archived'] === true) changes.push('archived');
  return changes;
}

const normalDashParams = (ps: unknown): unknown =>
  Array.isArray(ps) ? ps.map((p) => (isObject(p) ? { id: p['id'], name: p['name'], slug: p['slug'], type: p['type'], sectionId: p['sectionId'] } : p)) : [];

const normalMappings = (ms: unknown): unknown =>
  Array.isArray(ms) ? ms.map((m) => (isObject(m) ? { parameter_id: m['parameter_id'], card_id: m['card_id'], target: m['target'] } : m)) : [];

/** A dashcard as compared: its question, place, size and filter wiring (ids and Metabase's additions left out). */
function normalDashcard(d: Json): Json {
  return {
    card_id: d['card_id'],
    row: d['row'],
    col: d['col'],
    size_x: d['size_x'],
    size_y: d['size_y'],
    parameter_mappings: normalMappings(d['parameter_mappings']),
    visualization_settings: d['visualization_settings'] ?? {},
  };
}

const byCardThenPlace = (a: Json, b: Json): number =>
  String(a['card_id']).localeCompare(String(b['card_id'])) || Number(a['row']) - Number(b['row']) || Number(a['col']) - Number(b['col']);

export function diffDashboard(current: Json, desired: DashboardPayload): string[] {
  const changes: string[] = [];
  if (!jsonEqual(current['name'], desired.name)) changes.push('name');
  if (!jsonEqual(current['description'], desired.description)) changes.push('description');
  if (!jsonEqual(current['collection_id'], desired.collection_id)) changes.push('collection_id');
  if (!jsonEqual(normalDashParams(current['parameters']), normalDashParams(desired.parameters))) changes.push('parameters');
  const now = (Array.isArray(current['dashcards']) ? current['dashcards'] : []).filter(isObject).map(normalDashcard).sort(byCardThenPlace);
  const want = desired.dashcards.map((d) => normalDashcard(d as unknown as Json)).sort(byCardThenPlace);
  if (!jsonEqual(now, want)) changes.push('dashcards');
  return changes;
}

/** Replaces every secret of a database payload by `********` (plans and logs never show one). */
export function redactDatabase(payload: DatabasePayload): DatabasePayload {
  const details = Object.fromEntries(Object.entries(payload.details).map(([k, v]) => [k, SENSITIVE_DETAIL_KEYS.has(k) && v !== null ? '********' : v]));
  return { ...payload, details };
}

/** Collects every unresolved reference (`<what>`) in a payload, sorted. */
export function unresolvedRefs(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string' && /^<[^<>]+>$/.test(value)) into.add(value);
  else if (Array.isArray(value)) for (const v of value) unresolvedRefs(v, into);
  else if (isObject(value)) for (const v of Object.values(value)) unresolvedRefs(v, into);
  return into;
}
