/**
 * The contracts as Open Data Contract Standard documents (ODCS v3.2.0, the version
 * datacontract-cli 1.2.8 lints by default and bundles the JSON schema of): one YAML document
 * per dataset (its silver Delta table on the lake), per gold model (its gold Delta table)
 * and per mart (its view in the Azure SQL serving database), with the quality rules, the
 * SLA, the PII classification, the owner and the servers. What ODCS has no field for is a
 * `customProperties` entry. Pure and deterministic: the same contracts and names give the
 * same bytes. Used by `streampulse contracts export --format odcs` and the `odcs` target of
 * `streampulse generate`.
 */
import type { Column, ContractSet, DatasetContract, MartContract, ModelContract, QualityRule } from '@streampulse/contracts';
import { yamlText, type YamlValue } from '@streampulse/jobs';
import { mapType, maskFor, servingColumns, tsqlGoldType } from '@streampulse/sql';

/** The ODCS version written (`apiVersion`). */
export const ODCS_API_VERSION = 'v3.2.0';

/** Where the tables live: the stack's names (no secrets). Absent: documents without `servers`. */
export interface OdcsServers {
  /** The stack's environment (`dev`, `prod`). */
  readonly environment: string;
  /** The lake's ADLS Gen2 account: silver and gold are its `silver` and `gold` file systems. */
  readonly lakeAccount: string;
  /** The Azure SQL logical server's name (`<name>.database.windows.net`). */
  readonly sqlServer: string;
  readonly sqlDatabase: string;
}

type Obj = { [k: string]: YamlValue };
type Custom = { property: string; value: YamlValue };

/** The entries with a value as ODCS custom properties (one loop: this runs for every column of every dataset). */
function custom(entries: readonly (readonly [string, YamlValue | undefined])[]): Custom[] {
  const out: Custom[] = [];
  for (const [property, value] of entries) if (value !== undefined) out.push({ property, value });
  return out;
}

/** Drops `undefined` values and empty arrays, keeping key order. */
function clean(o: Record<string, YamlValue | undefined>): Obj {
  const out: Obj = {};
  for (const k in o) {
    const v = o[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0) && Object.hasOwn(o, k)) out[k] = v;
  }
  return out;
}

/**
 * clean() of the parts merged in order, as `clean({ ...a, ...b })` would be (a later part's
 * key keeps an earlier part's position), without the object spread: V8 spends microseconds
 * on each, and a document of a 5,000-dataset set is built from tens of thousands.
 */
function cleanParts(...parts: readonly Record<string, YamlValue | undefined>[]): Obj {
  const all: Record<string, YamlValue | undefined> = {};
  for (const part of parts) for (const k in part) if (Object.hasOwn(part, k)) all[k] = part[k];
  return clean(all);
}

/** ODCS logical type of a contract type. */
export function odcsLogicalType(type: string): string {
  if (type === 'integer' || type === 'bigint') return 'integer';
  if (type === 'double' || type.startsWith('decimal(')) return 'number';
  return type; // string, boolean, date, timestamp
}

const team = (owner: string): Obj => ({ name: owner, members: [{ username: owner, role: 'owner' }] });
const support = (owner: string): YamlValue[] => [{ channel: owner, tool: 'email', url: `mailto:${owner}`, scope: 'issues' }];
const abfss = (fileSystem: string, account: string, path: string): string => `abfss://${fileSystem}@${account}.dfs.core.windows.net/${path}`;

const DIMENSION: Record<QualityRule['rule'], string> = {
  not_null: 'completeness',
  unique: 'uniqueness',
  range: 'conformity',
  accepted_values: 'conformity',
  regex: 'conformity',
  referential: 'consistency',
  freshness: 'timeliness',
};

/** The rule's ODCS check (library metric where one fits, else Spark SQL over the silver table) and where it goes: a property or the object. */
function qualityCheck(ds: DatasetContract, rule: QualityRule, index: number): { column?: string; check: Obj } {
  const table = ds.dataset;
  const base = {
    id: `${table}_${rule.name ?? `${rule.rule}_${index + 1}`}`,
    name: rule.name ?? `${rule.rule}_${index + 1}`,
    description: rule.description,
    dimension: DIMENSION[rule.rule],
    severity: rule.action === 'warn' ? 'warning' : 'error',
    customProperties: custom([['action', rule.action]]),
  };
  const q = (c: string): string => `\`${c}\``;
  switch (rule.rule) {
    case 'not_null':
      return { column: rule.column, check: cleanParts(base, { type: 'library', metric: 'nullValues', mustBe: 0 }) };
    case 'unique':
      return rule.columns.length === 1
        ? { column: rule.columns[0]!, check: cleanParts(base, { type: 'library', metric: 'duplicateValues', mustBe: 0 }) }
        : { check: cleanParts(base, { type: 'library', metric: 'duplicateValues', arguments: { properties: [...rule.columns] }, mustBe: 0 }) };
    case 'accepted_values':
      return {
        column: rule.column,
        check: cleanParts(base, { type: 'library', metric: 'invalidValues', arguments: { validValues: [...rule.values] }, mustBe: 0 }),
      };
    case 'regex':
      return { column: rule.column, check: cleanParts(base, { type: 'library', metric: 'invalidValues', arguments: { pattern: rule.pattern }, mustBe: 0 }) };
    case 'range': {
      const bounds = [
        rule.min !== undefined ? `${q(rule.column)} < ${rule.min}` : undefined,
        rule.max !== undefined ? `${q(rule.column)} > ${rule.max}` : undefined,
      ];
      const where = bounds.filter((b) => b !== undefined).join(' OR ') || 'FALSE';
      return { column: rule.column, check: cleanParts(base, { type: 'sql', query: `SELECT COUNT(*) FROM ${q(table)} WHERE ${where}`, mustBe: 0 }) };
    }
    case 'referential': {
      const r = rule.references;
      const query = `SELECT COUNT(*) FROM ${q(table)} t LEFT JOIN ${q(r.dataset)} r ON t.${q(rule.column)} = r.${q(r.column)} WHERE t.${q(rule.column)} IS NOT NULL AND r.${q(r.column)} IS NULL`;
      return { column: rule.column, check: cleanParts(base, { type: 'sql', query, mustBe: 0 }) };
    }
    case 'freshness': {
      const query = `SELECT (unix_timestamp(current_timestamp()) - unix_timestamp(MAX(${q(ds.event_time)}))) / 3600 FROM ${q(table)}`;
      return { check: cleanParts(base, { type: 'sql', query, unit: 'hours', mustBeLessOrEqualTo: rule.max_age_hours }) };
    }
  }
}

/** The ODCS check that a table holds one row per key (a gold model's primary key, a mart's grain). */
const grainUnique = (table: string, key: readonly string[]): Obj => ({
  id: `${table}_grain_unique`,
  name: 'grain_unique',
  description: `one row per (${key.join(', ')})`,
  dimension: 'uniqueness',
  severity: 'error',
  type: 'library',
  metric: 'duplicateValues',
  arguments: { properties: [...key] },
  mustBe: 0,
});

const PII_SILVER: Record<string, string> = {
  keep: 'kept as is in silver (masked when served)',
  pseudonymise: 'pseudonymised in silver (salted SHA-256)',
  drop: 'dropped before silver (never leaves bronze)',
};

function columnOptions(c: Column): Obj | undefined {
  const k = c.constraints;
  if (k === undefined) return undefined;
  const t = odcsLogicalType(c.type);
  const o =
    t === 'string'
      ? clean({ maxLength: k.max_length, pattern: k.pattern })
      : t === 'integer' || t === 'number'
        ? clean({ minimum: k.min, maximum: k.max })
        : {};
  return Object.keys(o).length > 0 ? o : undefined;
}

function datasetProperty(ds: DatasetContract, c: Column, checks: readonly Obj[]): Obj {
  const pk = ds.primary_key.indexOf(c.name);
  const uniqueRule = ds.quality.some((r) => r.rule === 'unique' && r.columns.length === 1 && r.columns[0] === c.name);
  return clean({
    id: `${ds.dataset}_${c.name}`,
    name: c.name,
    physicalName: c.name,
    logicalType: odcsLogicalType(c.type),
    logicalTypeOptions: columnOptions(c),
    physicalType: mapType(c.type, 'spark'),
    description: c.pii ? `${c.description} (PII: ${c.pii.class}, ${PII_SILVER[c.pii.policy]})` : c.description,
    required: c.required,
    primaryKey: pk >= 0 ? true : undefined,
    primaryKeyPosition: pk >= 0 ? pk + 1 : undefined,
    unique: uniqueRule || (ds.primary_key.length === 1 && pk === 0) ? true : undefined,
    classification: c.pii ? 'restricted' : undefined,
    criticalDataElement: pk >= 0 || c.name === ds.event_time ? true : undefined,
    tags: c.pii ? ['pii', `pii-${c.pii.class}`] : undefined,
    customProperties: custom([
      ['piiClass', c.pii?.class],
      ['piiPolicy', c.pii?.policy],
      ['acceptedValues', c.constraints?.accepted_values ? [...c.constraints.accepted_values] : undefined],
    ]),
    quality: [...checks],
  });
}

function document(kind: string, c: { version: string; owner: string; domain: string }, name: string, rest: Record<string, YamlValue | undefined>): string {
  const doc = cleanParts(
    {
      apiVersion: ODCS_API_VERSION,
      kind: 'DataContract',
      id: `streampulse:${kind}:${name}`,
      name,
      version: c.version,
      status: 'active',
      domain: c.domain,
      dataProduct: 'streampulse',
    },
    rest,
    { team: team(c.owner), support: support(c.owner) },
  );
  return yamlText(doc, [`ODCS ${ODCS_API_VERSION} data contract of the StreamPulse ${kind} ${name}: generated by streampulse from its contract; do not edit.`]);
}

/** The ODCS document of a dataset: its silver Delta table on the lake. */
export function datasetDocument(ds: DatasetContract & { file?: string }, servers?: OdcsServers): string {
  const checks = ds.quality.map((r, i) => qualityCheck(ds, r, i));
  // each column's checks, in rule order: grouped once, not filtered again per column
  const columnChecks = new Map<string, Obj[]>();
  for (const c of checks) {
    if (c.column === undefined) continue;
    const list = columnChecks.get(c.column);
    if (list === undefined) columnChecks.set(c.column, [c.check]);
    else list.push(c.check);
  }
  const byColumn = (name: string): Obj[] => columnChecks.get(name) ?? [];
  const pii = ds.columns.filter((c) => c.pii !== undefined);
  const r = ds.retention;
  return document('dataset', ds, ds.dataset, {
    description: clean({
      purpose: ds.description,
      usage: `The silver Delta table ${ds.dataset}: landed ${ds.source.schedule} from ${ds.source.system} (${ds.source.format}), deduplicated on (${ds.silver.dedupe.key.join(', ')}), rows failing a quarantine rule held in quarantine.`,
      limitations:
        pii.length > 0
          ? `Personal data: ${pii.map((c) => `${c.name} (${c.pii!.class}, ${c.pii!.policy})`).join(', ')}. Pseudonymised columns hold a salted SHA-256; dropped columns never reach silver.`
          : undefined,
    }),
    tags: ['dataset', 'silver', ds.domain, ...(pii.length > 0 ? ['pii'] : []), ...(ds.source.stream_topic ? ['streamed'] : [])],
    servers: servers
      ? [
          {
            server: `lake-silver-${servers.environment}`,
            type: 'azure',
            environment: servers.environment,
            description: 'the silver layer of the lake (ADLS Gen2, Delta)',
            location: abfss('silver', servers.lakeAccount, ds.dataset),
            format: 'delta',
          },
        ]
      : undefined,
    schema: [
      clean({
        id: ds.dataset,
        name: ds.dataset,
        physicalName: ds.dataset,
        physicalType: 'table',
        logicalType: 'object',
        description: ds.description,
        dataGranularityDescription: `one row per (${ds.primary_key.join(', ')})`,
        tags: pii.length > 0 ? ['pii'] : undefined,
        properties: ds.columns.map((c) => datasetProperty(ds, c, byColumn(c.name))),
        quality: checks.filter((c) => c.column === undefined).map((c) => c.check),
        customProperties: custom([
          ['eventTime', ds.event_time],
          ['watermarkMaxDelayHours', ds.watermark.max_delay_hours],
          ['scdType', ds.silver.scd.type],
          ['sourceSystem', ds.source.system],
          ['landingPath', ds.source.landing_path],
          ['streamTopic', ds.source.stream_topic],
        ]),
      }),
    ],
    slaProperties: [
      {
        id: `${ds.dataset}_latency`,
        property: 'latency',
        value: ds.sla.freshness_hours,
        unit: 'h',
        element: `${ds.dataset}.${ds.event_time}`,
        description: `the newest ${ds.event_time} in silver is at most ${ds.sla.freshness_hours} h old (freshness)`,
      },
      {
        id: `${ds.dataset}_frequency`,
        property: 'frequency',
        value: 1,
        unit: ds.source.schedule === 'hourly' ? 'h' : 'd',
        description: `loaded ${ds.source.schedule}`,
      },
      {
        id: `${ds.dataset}_retention`,
        property: 'retention',
        value: r.silver_days,
        unit: 'd',
        element: ds.dataset,
        description: 'silver rows are kept this long',
      },
      {
        id: `${ds.dataset}_completeness`,
        property: 'completeness',
        value: ds.sla.completeness_pct,
        unit: 'percent',
        description: 'share of landed rows that reach silver (not quarantined)',
      },
    ],
    customProperties: custom([
      ['retentionLandingDays', r.landing_days],
      ['retentionBronzeDays', r.bronze_days],
      ['retentionQuarantineDays', r.quarantine_days],
    ]),
  });
}

/** The ODCS document of a gold model: its gold Delta table on the lake. */
export function modelDocument(m: ModelContract, servers?: OdcsServers): string {
  return document('model', m, m.model, {
    description: { purpose: m.description, usage: `The gold Delta table ${m.model} (${m.type}), rebuilt from silver by the daily job; read by the marts.` },
    tags: ['model', 'gold', m.domain, m.type],
    servers: servers
      ? [
          {
            server: `lake-gold-${servers.environment}`,
            type: 'azure',
            environment: servers.environment,
            description: 'the gold layer of the lake (ADLS Gen2, Delta)',
            location: abfss('gold', servers.lakeAccount, m.model),
            format: 'delta',
          },
        ]
      : undefined,
    schema: [
      clean({
        id: m.model,
        name: m.model,
        physicalName: m.model,
        physicalType: 'table',
        logicalType: 'object',
        description: m.description,
        dataGranularityDescription: m.grain,
        properties: m.columns.map((c) => {
          const pk = m.primary_key.indexOf(c.name);
          return clean({
            id: `${m.model}_${c.name}`,
            name: c.name,
            physicalName: c.name,
            logicalType: odcsLogicalType(c.type),
            physicalType: mapType(c.type, 'spark'),
            description: c.description,
            required: c.required,
            primaryKey: pk >= 0 ? true : undefined,
            primaryKeyPosition: pk >= 0 ? pk + 1 : undefined,
            unique: m.primary_key.length === 1 && pk === 0 ? true : undefined,
            transformLogic: c.expr,
          });
        }),
        quality: [grainUnique(m.model, m.primary_key)],
      }),
    ],
    slaProperties: [{ id: `${m.model}_frequency`, property: 'frequency', value: 1, unit: 'd', description: 'rebuilt by the daily job' }],
  });
}

/** The ODCS document of a mart: its view in the serving schema of the Azure SQL database. */
export function martDocument(set: ContractSet, mart: MartContract, servers?: OdcsServers): string {
  const columns = servingColumns(set, mart);
  const pii = columns.filter((c) => c.pii.length > 0);
  const exprOf = new Map<string, string | undefined>([
    ...mart.dimensions.map((d) => [d.name, d.expr] as const),
    ...mart.measures.map((m) => [m.name, m.expr] as const),
  ]);
  const metricOf = new Map(mart.measures.map((m) => [m.name, m.metric]));
  return document('mart', mart, mart.mart, {
    description: clean({
      purpose: mart.description,
      usage: `The served view serving.${mart.mart} in Azure SQL, read by the dashboards; one row per (${mart.grain.join(', ')}).${mart.stream_refresh === true ? ' Kept current by the stream consumer after each micro-batch.' : ''}`,
      limitations:
        pii.length > 0
          ? `Derived from personal data: ${pii.map((c) => `${c.name} (${c.pii.map((p) => `${p.source}: ${p.class}`).join(', ')})`).join('; ')}; masked for readers without UNMASK.`
          : undefined,
    }),
    tags: ['mart', 'serving', mart.domain, ...(pii.length > 0 ? ['pii'] : []), ...(mart.row_level_security ? ['row-level-security'] : [])],
    servers: servers
      ? [
          {
            server: `serving-${servers.environment}`,
            type: 'sqlserver',
            environment: servers.environment,
            description: 'the Azure SQL serving database',
            host: `${servers.sqlServer}.database.windows.net`,
            port: 1433,
            database: servers.sqlDatabase,
            schema: 'serving',
          },
        ]
      : undefined,
    schema: [
      clean({
        id: mart.mart,
        name: mart.mart,
        physicalName: mart.mart,
        physicalType: 'view',
        logicalType: 'object',
        description: mart.description,
        dataGranularityDescription: `one row per (${mart.grain.join(', ')})`,
        tags: pii.length > 0 ? ['pii'] : undefined,
        properties: columns.map((c) => {
          const pk = mart.grain.indexOf(c.name);
          const mask = maskFor(c);
          return clean({
            id: `${mart.mart}_${c.name}`,
            name: c.name,
            physicalName: c.name,
            logicalType: odcsLogicalType(c.type),
            physicalType: tsqlGoldType(c),
            description: c.description,
            primaryKey: pk >= 0 ? true : undefined,
            primaryKeyPosition: pk >= 0 ? pk + 1 : undefined,
            unique: mart.grain.length === 1 && pk === 0 ? true : undefined,
            classification: c.pii.length > 0 ? 'restricted' : undefined,
            criticalDataElement: c.role === 'measure' ? true : undefined,
            transformLogic: exprOf.get(c.name),
            tags: c.pii.length > 0 ? ['pii', ...[...new Set(c.pii.map((p) => `pii-${p.class}`))].sort()] : undefined,
            customProperties: custom([
              ['role', c.role],
              ['metric', metricOf.get(c.name)],
              ['piiSources', c.pii.length > 0 ? c.pii.map((p) => p.source) : undefined],
              ['mask', mask],
              ['references', c.references ? `${c.references.mart}.${c.references.column}` : undefined],
            ]),
          });
        }),
        quality: [grainUnique(mart.mart, mart.grain)],
      }),
    ],
    slaProperties: [
      {
        id: `${mart.mart}_frequency`,
        property: 'frequency',
        value: 1,
        unit: 'd',
        description: mart.stream_refresh === true ? 'merged by the daily batch and after each streamed micro-batch' : 'merged by the daily batch',
      },
    ],
    customProperties: custom([
      ['streamRefresh', mart.stream_refresh],
      ['rowLevelSecurityColumn', mart.row_level_security?.column],
      ['rowLevelSecurityClaim', mart.row_level_security?.principal_claim],
    ]),
  });
}

/** Every document: `datasets/<name>.odcs.yaml`, `models/<name>.odcs.yaml`, `marts/<name>.odcs.yaml` (the set's name order). */
export function odcsDocuments(set: ContractSet, servers?: OdcsServers): Record<string, string> {
  const files: Record<string, string> = {};
  for (const d of set.datasets) files[`datasets/${d.dataset}.odcs.yaml`] = datasetDocument(d, servers);
  for (const m of set.models) files[`models/${m.model}.odcs.yaml`] = modelDocument(m, servers);
  for (const m of set.marts) files[`marts/${m.mart}.odcs.yaml`] = martDocument(set, m, servers);
  return files;
}
