/**
 * Data Factory's documented service limits that a generated factory can reach as the
 * contracts grow (issue 22: 5,000 dataset contracts), checked by `validateFactory`.
 *
 * The factory itself is a fixed set of entities; what grows with the contracts is the
 * control manifest (`control/manifest.json`) that the master pipelines read with a Lookup
 * and fan out over with ForEach and Execute Pipeline. So the limits checked are the
 * factory's entity count and object sizes, the pipelines' parameter counts and expression
 * lengths, and — on the manifest — the Lookup's output size and item count, the ForEach
 * item counts and the payload of each Execute Pipeline run of a wave.
 */
import type { FactoryProblem } from './validate.js';

/** Where the limits are documented. */
export const ADF_LIMITS_SOURCE = "Microsoft Learn, 'Azure subscription and service limits, quotas, and constraints', section 'Azure Data Factory limits'";
export const LOOKUP_LIMITS_SOURCE = "Microsoft Learn, 'Lookup activity in Azure Data Factory and Azure Synapse Analytics', section 'Supported capabilities'";

export interface FactoryLimit {
  readonly id: LimitRule;
  readonly what: string;
  readonly max: number;
  readonly unit: 'entities' | 'parameters' | 'bytes' | 'characters' | 'items' | 'rows';
  readonly source: string;
}

export type LimitRule =
  | 'entity-limit'
  | 'parameter-limit'
  | 'pipeline-size-limit'
  | 'entity-size-limit'
  | 'expression-limit'
  | 'foreach-items-limit'
  | 'lookup-rows-limit'
  | 'lookup-size-limit'
  | 'payload-limit';

const KB = 1024;
const MB = 1024 * 1024;

/** The limits checked, with their documented values (defaults; most can be raised by support, which a generated factory must not count on). */
export const FACTORY_LIMITS: Readonly<Record<LimitRule, FactoryLimit>> = {
  'entity-limit': {
    id: 'entity-limit',
    what: 'total number of entities (pipelines, datasets, triggers, linked services, data flows, integration runtimes…) within a data factory',
    max: 5000,
    unit: 'entities',
    source: ADF_LIMITS_SOURCE,
  },
  'parameter-limit': { id: 'parameter-limit', what: 'maximum parameters per pipeline', max: 50, unit: 'parameters', source: ADF_LIMITS_SOURCE },
  'pipeline-size-limit': { id: 'pipeline-size-limit', what: 'bytes per object for pipeline objects', max: 200 * KB, unit: 'bytes', source: ADF_LIMITS_SOURCE },
  'entity-size-limit': {
    id: 'entity-size-limit',
    what: 'bytes per object for dataset and linked service objects',
    max: 100 * KB,
    unit: 'bytes',
    source: ADF_LIMITS_SOURCE,
  },
  'expression-limit': { id: 'expression-limit', what: 'characters per expression', max: 8192, unit: 'characters', source: ADF_LIMITS_SOURCE },
  'foreach-items-limit': { id: 'foreach-items-limit', what: 'ForEach items', max: 100_000, unit: 'items', source: ADF_LIMITS_SOURCE },
  'lookup-rows-limit': {
    id: 'lookup-rows-limit',
    what: 'Lookup activity item count (rows returned)',
    max: 5000,
    unit: 'rows',
    source: `${ADF_LIMITS_SOURCE}; ${LOOKUP_LIMITS_SOURCE}`,
  },
  'lookup-size-limit': { id: 'lookup-size-limit', what: 'Lookup activity output size', max: 4 * MB, unit: 'bytes', source: LOOKUP_LIMITS_SOURCE },
  'payload-limit': { id: 'payload-limit', what: 'bytes per payload for each activity run', max: 896 * KB, unit: 'bytes', source: ADF_LIMITS_SOURCE },
};

/** Folders of the git layout that hold factory entities (everything but factory/ and the lake's control/ files). */
const ENTITY_FOLDERS = [
  'pipeline',
  'dataset',
  'linkedService',
  'trigger',
  'dataflow',
  'integrationRuntime',
  'managedVirtualNetwork',
  'credential',
  'globalParameters',
];

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every expression string in a JSON value: `{ type: 'Expression', value }` and strings starting with '@' (not the '@@' escape). */
function expressions(v: unknown, path: string, out: { path: string; text: string }[]): void {
  if (typeof v === 'string') {
    if (v.startsWith('@') && !v.startsWith('@@')) out.push({ path, text: v });
  } else if (Array.isArray(v)) v.forEach((x, i) => expressions(x, `${path}[${i}]`, out));
  else if (isObj(v)) {
    if (v['type'] === 'Expression' && typeof v['value'] === 'string') {
      out.push({ path, text: v['value'] });
      return;
    }
    for (const [k, x] of Object.entries(v)) expressions(x, path === '' ? k : `${path}.${k}`, out);
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const amount = (l: FactoryLimit, n: number): string => (l.unit === 'bytes' ? `${fmt(n)} bytes` : `${fmt(n)} ${l.unit}`);

/**
 * The limit problems of a factory given as `relative path → parsed JSON` (the git layout,
 * with `control/manifest.json` when the factory has one). Each message names the limit,
 * the measured value and where the limit is documented.
 */
export function limitProblems(
  files: Readonly<Record<string, unknown>>,
  limits: Readonly<Record<LimitRule, FactoryLimit>> = FACTORY_LIMITS,
): (FactoryProblem & { readonly rule: LimitRule })[] {
  const problems: (FactoryProblem & { readonly rule: LimitRule })[] = [];
  const over = (file: string, where: string, rule: LimitRule, measured: number, what: string): void => {
    const l = limits[rule];
    if (measured > l.max)
      problems.push({
        file,
        where,
        rule,
        message: `${what} is ${amount(l, measured)}; Data Factory allows at most ${amount(l, l.max)} (${l.what}; ${l.source})`,
      });
  };
  const paths = Object.keys(files).sort();
  const entityPaths = paths.filter((p) => p.endsWith('.json') && ENTITY_FOLDERS.includes(p.split('/')[0] ?? ''));
  over('factory', 'entities', 'entity-limit', entityPaths.length, 'the factory’s entity count');
  for (const p of entityPaths) {
    const doc = files[p];
    const folder = p.split('/')[0];
    if (folder === 'pipeline') {
      over(p, 'object', 'pipeline-size-limit', bytes(doc), 'the pipeline object (compact JSON)');
      const params = isObj(doc) && isObj(doc['properties']) && isObj(doc['properties']['parameters']) ? Object.keys(doc['properties']['parameters']).length : 0;
      over(p, 'parameters', 'parameter-limit', params, 'the pipeline’s parameter count');
    } else if (folder === 'dataset' || folder === 'linkedService') over(p, 'object', 'entity-size-limit', bytes(doc), `the ${folder} object (compact JSON)`);
    const found: { path: string; text: string }[] = [];
    expressions(doc, '', found);
    for (const e of found) over(p, e.path, 'expression-limit', e.text.length, 'the expression’s length');
  }
  // The control manifest: read by the masters' Lookup (first row only: the file's one JSON
  // object), iterated by ForEach (waves, marts) and handed wave by wave to pl_ingest_wave.
  const manifestFile = 'control/manifest.json';
  const manifest = files[manifestFile];
  if (manifest !== undefined) {
    over(manifestFile, 'rows', 'lookup-rows-limit', Array.isArray(manifest) ? manifest.length : 1, 'the row count of the manifest’s Lookup');
    over(manifestFile, 'firstRow', 'lookup-size-limit', bytes(manifest), 'the Lookup output (the manifest as compact JSON)');
    if (isObj(manifest)) {
      const waves = Array.isArray(manifest['waves']) ? manifest['waves'] : [];
      const marts = Array.isArray(manifest['marts']) ? manifest['marts'] : [];
      over(manifestFile, 'waves', 'foreach-items-limit', waves.length, 'the item count of the ForEach over the manifest’s waves');
      over(manifestFile, 'marts', 'foreach-items-limit', marts.length, 'the item count of the ForEach over the manifest’s marts');
      waves.forEach((w, i) => {
        const list = Array.isArray(w) ? w : [];
        over(manifestFile, `waves[${i}]`, 'foreach-items-limit', list.length, `the item count of the ForEach over wave ${i}’s datasets`);
        over(manifestFile, `waves[${i}]`, 'payload-limit', bytes(list), `the Execute Pipeline run of wave ${i} (its datasets parameter as compact JSON)`);
      });
    }
  }
  return problems;
}
