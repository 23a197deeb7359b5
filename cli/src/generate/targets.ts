/**
 * The registry of `streampulse generate`: every artifact folder it writes, one entry each.
 * A target names its folder under --out and is a pure function of the contracts, the job
 * plan and the stack's options to that folder's files (POSIX path relative to the folder
 * → text). Nothing here touches the disk: the writer (`writer.ts`) owns the folders.
 *
 * Adding a target is adding one entry to TARGETS.
 */
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { compileStreams, databricksBundle, databricksJobs, yamlText, type BundleOptions, type JobPlan } from '@streampulse/jobs';
import { entityCounts, factoryFileText, generateFactory, type FactoryOptions } from '@streampulse/pipelines';
import { dbtProject, servingMigrations, servingTests, servingTestsSql, type ServingOptions } from '@streampulse/sql';
import { metabasePayloads } from '@streampulse/dashboards';
import { count, stableJson } from '../output.js';
import { odcsDocuments, ODCS_API_VERSION, type OdcsServers } from './odcs.js';

/** What every target is generated from: the contracts, their job plan and the stack's options (read at the CLI's edge). */
export interface GenerateInput {
  readonly set: ContractSet;
  readonly plan: JobPlan;
  /** The Data Factory's names; `{}` is the generator's defaults (what `adf generate` writes). */
  readonly factory: FactoryOptions;
  /** The bundle's names, cluster settings and the runtime project's files. */
  readonly bundle: BundleOptions;
  /** The principals the SQL migrations grant to. */
  readonly serving: ServingOptions;
  /** The stack's lake and serving names the ODCS documents' `servers` give; absent: no `servers`. */
  readonly odcs?: OdcsServers;
}

/** A file map: POSIX path relative to the target's folder → the file's text. */
export type FileMap = Readonly<Record<string, string>>;

export interface GenerateTarget {
  /** The name `--target` takes; also what the folder's marker file holds. */
  readonly name: string;
  /** The folder under --out that the target owns (one path segment). */
  readonly folder: string;
  /** What the folder holds, in a few words (help, README). */
  readonly describe: string;
  /** The folder's files. Pure and deterministic: the same input gives the same bytes. */
  files(input: GenerateInput): FileMap;
  /** What the summary line says about the files, after "wrote N files to DIR: ". */
  summary(input: GenerateInput, files: FileMap): string;
}

/** `adf/`: the Data Factory factory in git layout (4-space JSON) with `control/manifest.json`. */
const adf: GenerateTarget = {
  name: 'adf',
  folder: 'adf',
  describe: 'the Data Factory factory in git layout + control/manifest.json',
  files: (i) => Object.fromEntries(Object.entries(generateFactory(i.set, i.plan, i.factory).files).map(([path, value]) => [path, factoryFileText(value)])),
  summary: (i, files) => {
    const c = entityCounts({ files });
    return `${c.linkedService} linked services, ${c.dataset} datasets, ${c.pipeline} pipelines, ${c.trigger} triggers, the control manifest (${count(i.set.datasets.length, 'dataset')})`;
  },
};

/** `databricks/`: the Databricks Asset Bundle (databricks.yml, resources/, specs/, runtime/). */
const databricks: GenerateTarget = {
  name: 'databricks',
  folder: 'databricks',
  describe: 'the Databricks Asset Bundle: databricks.yml, resources/, the job specs (specs/), the runtime project (runtime/)',
  files: (i) => databricksBundle(i.set, i.plan, i.bundle),
  summary: (i) => {
    const jobs = Object.values(databricksJobs(i.set, i.plan, i.bundle)).map((j) => j.name);
    const streams = compileStreams(i.set, i.plan).streams.length;
    return `a Databricks Asset Bundle with ${count(jobs.length, 'job')} (${jobs.join(', ')}) and ${count(i.plan.jobs.length, 'job spec')}${streams > 0 ? ` + ${count(streams, 'stream spec')}` : ''} in specs/`;
  },
};

/** `sql/`: the Azure SQL serving migrations (NNNN_*.sql), their index and the serving tests. */
const sql: GenerateTarget = {
  name: 'sql',
  folder: 'sql',
  describe: 'the Azure SQL serving migrations (NNNN_*.sql, migrations.json) + tests/serving_tests.sql',
  files: (i) => {
    const migrations = servingMigrations(i.set, i.serving);
    const files: Record<string, string> = {};
    for (const m of migrations) files[m.file] = m.text;
    const index = {
      migrations: migrations.map((m) => ({ id: m.id, file: m.file, description: m.description, batches: m.batches.length, checksum: m.checksum })),
    };
    files['migrations.json'] = `${JSON.stringify(index, null, 2)}\n`;
    files['tests/serving_tests.sql'] = servingTestsSql(servingTests(i.set));
    return files;
  },
  summary: (_i, files) =>
    `${count(Object.keys(files).filter((f) => /^\d{4}_[^/]+\.sql$/.test(f)).length, 'T-SQL migration')}, migrations.json and the serving tests`,
};

/**
 * `metabase/`: the Metabase API payloads of the dashboard contract — database.json (the serving
 * database entry, Entra managed identity), collection.json, cards/<card id>.json (one native
 * question each) and dashboard.json (dashcards, filters) — sorted-key JSON with the ids Metabase
 * assigns left unresolved (`<database>`, `<card …>`, `<field serving.<view>.<column>>`):
 * what `streampulse metabase provision` sends. Several dashboard contracts: one folder each.
 */
const metabase: GenerateTarget = {
  name: 'metabase',
  folder: 'metabase',
  describe: 'the Metabase payloads: database.json, collection.json, cards/<card>.json (native questions), dashboard.json',
  files: (i) => {
    const files: Record<string, string> = {};
    const several = i.set.dashboards.length > 1;
    for (const d of i.set.dashboards) {
      const p = metabasePayloads(i.set, { dashboard: d.dashboard });
      const dir = several ? `${d.dashboard}/` : '';
      files['database.json'] = stableJson(p.database);
      files[`${dir}collection.json`] = stableJson(p.collection);
      for (const [id, card] of Object.entries(p.cards)) files[`${dir}cards/${id}.json`] = stableJson(card);
      files[`${dir}dashboard.json`] = stableJson(p.dashboard);
    }
    return files;
  },
  summary: (i, files) =>
    `the serving database entry, ${count(i.set.dashboards.length, 'dashboard')} with ${count(Object.keys(files).filter((f) => /(^|\/)cards\//.test(f)).length, 'native question')} (ids resolved by \`streampulse metabase provision\`)`,
};

/** `odcs/`: the contracts as Open Data Contract Standard documents (as `contracts export --format odcs`). */
const odcs: GenerateTarget = {
  name: 'odcs',
  folder: 'odcs',
  describe: `the contracts as ODCS ${ODCS_API_VERSION} documents: datasets/, models/, marts/<name>.odcs.yaml`,
  files: (i) => odcsDocuments(i.set, i.odcs),
  summary: (i) =>
    `ODCS ${ODCS_API_VERSION} data contracts of ${count(i.set.datasets.length, 'dataset')}, ${count(i.set.models.length, 'model')} and ${count(i.set.marts.length, 'mart')}`,
};

/** The dbt project's files (what the `dbt` target writes and `streampulse dbt test` runs): YAML rendered, macros as they are. */
export function dbtProjectFiles(set: ContractSet): Record<string, string> {
  const p = dbtProject(set);
  const files: Record<string, string> = {};
  for (const [path, doc] of Object.entries(p.yaml)) files[path] = yamlText(doc.value, doc.comment);
  for (const [path, text] of Object.entries(p.text)) files[path] = text;
  return files;
}

/**
 * `dbt/`: the dbt project of the serving layer (sql's dbt-project.ts): sources for the served
 * views and the gold tables, the serving tests, the freshness SLA, exposures for the dashboard
 * cards, profiles for SQLite and Azure SQL.
 */
const dbt: GenerateTarget = {
  name: 'dbt',
  folder: 'dbt',
  describe: 'the dbt project of the serving layer: dbt_project.yml, profiles.yml (sqlite, azure), models/sources.yml, models/exposures.yml, macros/',
  files: (i) => dbtProjectFiles(i.set),
  summary: (i) =>
    `a dbt project with ${count(i.set.marts.length, 'served view')} and ${count(i.set.marts.length, 'gold table')} as sources, ${count(servingTests(i.set).length, 'test')}, ${count(
      i.set.dashboards.reduce((n, d) => n + d.cards.length, 0),
      'exposure',
    )}`,
};

/** Every target, in the order `generate` writes and reports them. */
export const TARGETS: readonly GenerateTarget[] = [adf, databricks, sql, metabase, odcs, dbt];

/** The target called `name`; throws (a bug) for an unknown one — user input goes through `selectTargets`. */
export function target(name: string): GenerateTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no generate target '${name}'`);
  return t;
}

/**
 * The targets a `--target a,b` list names, in registry order (every target when the list is
 * absent); an unknown or empty name is a user error naming the known ones.
 */
export function selectTargets(list: string | undefined): GenerateTarget[] {
  if (list === undefined) return [...TARGETS];
  const names = list.split(',').map((n) => n.trim());
  const known = TARGETS.map((t) => t.name).join(', ');
  for (const n of names)
    if (!TARGETS.some((t) => t.name === n))
      throw new StreamPulseError('GENERATE_UNKNOWN_TARGET', n === '' ? `--target '${list}' names an empty target` : `unknown target '${n}'`, {
        remedy: `pass --target with a comma-separated list of: ${known}`,
      });
  return TARGETS.filter((t) => names.includes(t.name));
}
