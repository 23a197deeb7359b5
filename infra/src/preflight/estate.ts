/**
 * The "rendered estate" preflight checks: one plain object holding everything a deploy
 * would put into Azure and the Databricks workspace, built offline —
 *   - the stack's Pulumi program rendered under mocks (resources, ids, states, invokes,
 *     resolved stack outputs), with the stack file's config;
 *   - every artifact generated with the stack's names: the Data Factory (`generateFactory`
 *     with the options infra's DataFactory component passes), the Databricks Asset Bundle
 *     (`databricksBundle`, the stack's lake account and cluster settings), the Azure SQL
 *     migrations (as the SqlMigrations resource holds them);
 *   - the texts the deploy runs: .github/workflows/*.yml, infra's sources and stack files,
 *     the runtime wheel's pyproject.toml.
 * Checks are pure functions of this object, so a test can break one input and see the
 * matching check fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR, type ContractSet } from '@streampulse/contracts';
import { compileJobs, databricksBundle } from '@streampulse/jobs';
import { generateFactory } from '@streampulse/pipelines';
import { parseStackConfig, type StackConfig } from '../config.js';
import type { Estate } from '../context.js';
import { DataFactory } from '../components/data-factory.js';
import { MOCK_WORKSPACE_HOST, renderStack, resolveOutputs, stackConfig, type MockCall } from '../mock-render.js';
import { naming, type Naming } from '../naming.js';
import type { MockResource } from '../policy.js';
import type { StackName } from '../stack-file.js';

/** A migration as the SqlMigrations resource holds it. */
export interface MigrationText {
  readonly id: string;
  readonly file: string;
  readonly checksum: string;
  readonly text: string;
}

export interface PreflightEstate {
  readonly stack: StackName;
  /** The clock of the checks (budget window). */
  readonly now: Date;
  /** The stack file's raw config (objects as JSON text), deploy-time keys stood in. */
  readonly rawConfig: Readonly<Record<string, string>>;
  readonly config: StackConfig;
  readonly names: Naming;
  readonly set: ContractSet;
  readonly resources: readonly MockResource[];
  /** Logical name → the id the mocked provider gave the resource. */
  readonly ids: ReadonlyMap<string, string>;
  /** Logical name → the mocked provider's state (inputs + computed outputs such as identities). */
  readonly states: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly calls: readonly MockCall[];
  /** The stack outputs, resolved. */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly artifacts: {
    /** Data Factory in its git layout (path → JSON), generated as the DataFactory component does. */
    readonly factory: Readonly<Record<string, unknown>>;
    /** The Databricks Asset Bundle, parsed (path → YAML/JSON document). */
    readonly bundle: Readonly<Record<string, unknown>>;
    /** The serving migrations the SqlMigrations resource applies. */
    readonly migrations: readonly MigrationText[];
  };
  /** Repository-relative path → text: .github/workflows/*.yml. */
  readonly workflows: Readonly<Record<string, string>>;
  /** Repository-relative path → text: infra/src/**, infra/Pulumi*.yaml. */
  readonly sources: Readonly<Record<string, string>>;
  /** jobs/python/pyproject.toml. */
  readonly pyproject: string;
}

const AZ = 'azure-native:';

/** The resources of a type. */
export const ofType = (e: Pick<PreflightEstate, 'resources'>, type: string): MockResource[] => e.resources.filter((r) => r.type === type);

/** Every file in `dir` (recursively unless told) whose name passes `keep`, as repository-relative path → text. */
function readTexts(root: string, dir: string, keep: (name: string) => boolean, recursive = true): Record<string, string> {
  const out: Record<string, string> = {};
  const abs = join(root, dir);
  if (!existsSync(abs)) return out;
  const visit = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        if (recursive) visit(p);
      } else if (keep(entry.name)) out[relative(root, p).split('\\').join('/')] = readFileSync(p, 'utf8');
    }
  };
  visit(abs);
  return out;
}

/** The bundle's files parsed: YAML documents for `*.yml`, JSON for `*.json`, text otherwise. */
export function parseBundle(files: Readonly<Record<string, string>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(files).map(([path, text]) => [
      path,
      path.endsWith('.yml') || path.endsWith('.yaml') ? parseYaml(text) : path.endsWith('.json') ? JSON.parse(text) : text,
    ]),
  );
}

export interface LoadOptions {
  /** Default: now. */
  readonly now?: Date;
}

/**
 * Renders the stack and generates its artifacts. Throws the config error (a
 * StackConfigError naming every key) when the stack file does not validate.
 */
export async function loadPreflightEstate(root: string, stack: StackName, options: LoadOptions = {}): Promise<PreflightEstate> {
  const now = options.now ?? new Date();
  const rawConfig = stackConfig(root, stack);
  const config = parseStackConfig({ ...rawConfig, 'streampulse:metabaseDbAdminPassword': 'x' }, stack);
  const names = naming(config);
  const set = loadContractsOrThrow(join(root, STREAMPULSE_CONTRACTS_DIR));
  const rendered = await renderStack(stack, { root, program: 'estate', now });
  const outputs = await resolveOutputs(rendered.outputs);
  const plan = compileJobs(set);

  // Data Factory: the options the DataFactory component passes, with the mocked workspace's URL and id
  const workspace = rendered.resources.find((r) => r.type === `${AZ}databricks:Workspace`);
  const workspaceState = workspace === undefined ? undefined : rendered.states.get(workspace.name);
  const url = typeof workspaceState?.['workspaceUrl'] === 'string' ? workspaceState['workspaceUrl'] : MOCK_WORKSPACE_HOST;
  const workspaceId = (workspace === undefined ? undefined : rendered.ids.get(workspace.name)) ?? '';
  const estateLike = { config, location: config.location } as unknown as Estate;
  const factory = generateFactory(
    set,
    plan,
    DataFactory.options(estateLike, { keyVaultName: names.keyVault, lakeAccount: names.lakeAccount, sourceAccount: names.sourceAccount }, url, workspaceId),
  ).files;

  // the bundle with this stack's names and cluster settings
  const bundle = parseBundle(
    databricksBundle(set, plan, {
      namePrefix: config.namePrefix,
      lakeAccounts: { [stack]: names.lakeAccount },
      sparkVersion: config.databricks.sparkVersion,
      nodeTypeId: config.databricks.nodeTypeId,
      minWorkers: config.databricks.minWorkers,
      maxWorkers: config.databricks.maxWorkers,
    }),
  );

  const migrationsResource = rendered.resources.find((r) => r.type === 'pulumi-nodejs:dynamic/streampulse:SqlMigrations');
  const migrations = ((migrationsResource?.inputs['migrations'] ?? []) as MigrationText[]).map((m) => ({
    id: m.id,
    file: m.file,
    checksum: m.checksum,
    text: m.text,
  }));

  const workflows = readTexts(root, '.github/workflows', (n) => n.endsWith('.yml') || n.endsWith('.yaml'));
  const sources = { ...readTexts(root, 'infra/src', (n) => n.endsWith('.ts')), ...readTexts(root, 'infra', (n) => /^Pulumi(\.[a-z]+)?\.yaml$/.test(n), false) };
  const pyprojectPath = join(root, 'jobs', 'python', 'pyproject.toml');
  const pyproject = existsSync(pyprojectPath) ? readFileSync(pyprojectPath, 'utf8') : '';
  return {
    stack,
    now,
    rawConfig,
    config,
    names,
    set,
    resources: rendered.resources,
    ids: rendered.ids,
    states: rendered.states,
    calls: rendered.calls,
    outputs,
    artifacts: { factory, bundle, migrations },
    workflows,
    sources,
    pyproject,
  };
}
