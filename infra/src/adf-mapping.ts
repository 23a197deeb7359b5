/**
 * Maps the Data Factory git layout the generator writes (`@streampulse/pipelines`
 * generateFactory) to the inputs of the azure-native datafactory resources.
 *
 * The ARM/git JSON nests type-specific settings under `typeProperties`; the Pulumi
 * schema of azure-native flattens them into the object (`AzureBlobFSLinkedService.url`,
 * `CopyActivity.source`, `ForEachActivity.activities`, …). So the mapping is:
 *   - linkedService / dataset / trigger: `properties` with `typeProperties` flattened
 *     (a trigger's `runtimeState` is read-only in ARM: it is dropped here and applied
 *     by starting the trigger after the deployment — see `triggerStates`)
 *   - pipeline: the `properties` fields become the resource's own arguments; every
 *     activity is flattened, recursively through ForEach / Until / IfCondition / Switch
 * A key present both in `typeProperties` and beside it cannot be flattened without
 * loss: that is an error, except for the one known case — an AzureSqlTable dataset's
 * `typeProperties.schema` (the SQL schema; azure-native exposes only the column
 * `schema`, pulumi-azure-native issue 2006), which is expressed as the equivalent
 * `tableName` "[schema].[table]".
 * Pure and deterministic; tested against the generator's output.
 */
import { StreamPulseError } from '@streampulse/contracts';
import type { AdfFactory } from '@streampulse/pipelines';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export class AdfMappingError extends StreamPulseError {
  constructor(message: string) {
    super('INFRA_ADF_MAPPING', message, {
      remedy:
        'Change the generator (pipelines/src/generate.ts) so the entity can be expressed with azure-native, or teach infra/src/adf-mapping.ts the equivalent form (with a test).',
    });
    this.name = 'AdfMappingError';
  }
}

const expression = (value: string): Obj => ({ value, type: 'Expression' });
const exprText = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? `'${v.replace(/'/g, "''")}'`
    : isObj(v) && v['type'] === 'Expression' && typeof v['value'] === 'string'
      ? v['value'].replace(/^@/, '')
      : undefined;

/** Moves `typeProperties` into the object (in place of the key); `where` names the entity for errors. */
export function flattenTypeProperties(entity: Obj, where: string): Obj {
  const tp = entity['typeProperties'];
  if (tp === undefined) return { ...entity };
  if (!isObj(tp)) throw new AdfMappingError(`${where}: typeProperties is not an object`);
  let typeProps: Obj = { ...tp };
  if (entity['type'] === 'AzureSqlTable' && 'schema' in typeProps && 'schema' in entity) {
    const schema = exprText(typeProps['schema']);
    const table = exprText(typeProps['table']);
    if (schema === undefined || table === undefined)
      throw new AdfMappingError(`${where}: AzureSqlTable schema/table must be strings or expressions to be expressed as tableName`);
    const { schema: _s, table: _t, ...rest } = typeProps;
    typeProps = { ...rest, tableName: expression(`@concat('[', ${schema}, '].[', ${table}, ']')`) };
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(entity)) {
    if (k !== 'typeProperties') {
      out[k] = v;
      continue;
    }
    for (const [tk, tv] of Object.entries(typeProps)) {
      if (tk in entity)
        throw new AdfMappingError(
          `${where}: typeProperties.${tk} collides with ${tk} of the entity; azure-native flattens typeProperties, so one would be lost`,
        );
      out[tk] = tv;
    }
  }
  return out;
}

/** Flattens an activity and, recursively, the activities it contains. */
export function mapActivity(activity: Obj, where: string): Obj {
  const name = typeof activity['name'] === 'string' ? activity['name'] : '?';
  const here = `${where} activity '${name}'`;
  const flat = flattenTypeProperties(activity, here);
  const nested = (v: unknown): unknown => (Array.isArray(v) ? v.map((a) => (isObj(a) ? mapActivity(a, here) : a)) : v);
  for (const key of ['activities', 'ifTrueActivities', 'ifFalseActivities', 'defaultActivities']) if (key in flat) flat[key] = nested(flat[key]);
  if (Array.isArray(flat['cases'])) flat['cases'] = flat['cases'].map((c) => (isObj(c) ? { ...c, activities: nested(c['activities']) } : c));
  return flat;
}

export type EntityKind = 'linkedService' | 'dataset' | 'pipeline' | 'trigger';

export interface AdfEntity {
  readonly kind: EntityKind;
  readonly name: string;
  /** Path in the git layout, e.g. `pipeline/pl_daily_master.json`. */
  readonly path: string;
  /** The azure-native inputs: `properties` for linked services, datasets and triggers; the pipeline's own arguments for pipelines. */
  readonly args: Obj;
}

const KINDS: readonly EntityKind[] = ['linkedService', 'dataset', 'pipeline', 'trigger'];

/** Every linked service, dataset, pipeline and trigger of the factory, mapped (sorted by path, as the generator orders them). */
export function adfEntities(factory: AdfFactory): AdfEntity[] {
  const out: AdfEntity[] = [];
  for (const [path, doc] of Object.entries(factory.files)) {
    const kind = path.split('/')[0] as EntityKind;
    if (!KINDS.includes(kind)) continue;
    if (!isObj(doc) || typeof doc['name'] !== 'string' || !isObj(doc['properties']))
      throw new AdfMappingError(`${path}: not an ADF entity (needs name and properties)`);
    const name = doc['name'];
    const props = doc['properties'];
    let args: Obj;
    if (kind === 'pipeline') {
      const activities = Array.isArray(props['activities']) ? props['activities'] : [];
      args = { ...props, activities: activities.map((a) => (isObj(a) ? mapActivity(a, path) : a)) };
    } else {
      const { runtimeState: _state, ...rest } = props;
      args = { properties: flattenTypeProperties(kind === 'trigger' ? rest : props, path) };
    }
    out.push({ kind, name, path, args });
  }
  return out;
}

/** The trigger states the generator asks for (`runtimeState`), by trigger name. */
export function triggerStates(factory: AdfFactory): Record<string, 'Started' | 'Stopped'> {
  const out: Record<string, 'Started' | 'Stopped'> = {};
  for (const [path, doc] of Object.entries(factory.files)) {
    if (!path.startsWith('trigger/') || !isObj(doc) || !isObj(doc['properties'])) continue;
    out[String(doc['name'])] = doc['properties']['runtimeState'] === 'Started' ? 'Started' : 'Stopped';
  }
  return out;
}

/** The factory document (`factory/<name>.json`). */
export function factoryDocument(factory: AdfFactory): { name: string; doc: Obj } {
  const entry = Object.entries(factory.files).find(([p]) => p.startsWith('factory/'));
  if (entry === undefined || !isObj(entry[1]) || typeof entry[1]['name'] !== 'string')
    throw new AdfMappingError('the generated factory has no factory/<name>.json');
  return { name: entry[1]['name'], doc: entry[1] };
}
