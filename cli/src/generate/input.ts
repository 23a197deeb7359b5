/**
 * The CLI's edge of `generate`: what the pure targets are generated from, read from the
 * workspace — the stack files (names, cluster settings, SQL principals) and the runtime's
 * Python project the bundle carries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ContractSet } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { loadStack, stackFactoryOptions, STACKS } from '@streampulse/infra';
import { stackServingOptions } from '../serving.js';
import { stackOption } from '../stack-option.js';
import type { GenerateInput } from './targets.js';

/**
 * The runtime's Python project as the bundle holds it (`runtime/`): pyproject.toml and every
 * source file under src/, keyed by POSIX path relative to `<workspace>/jobs/python`, sorted.
 * Tests, jars, caches and build output are not part of the wheel's source.
 */
export function runtimeProjectFiles(workspaceRoot: string): Record<string, string> {
  const project = join(workspaceRoot, 'jobs', 'python');
  const files: Record<string, string> = { 'pyproject.toml': readFileSync(join(project, 'pyproject.toml'), 'utf8') };
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '__pycache__' && !e.name.endsWith('.egg-info')) walk(p);
      } else if (e.name.endsWith('.py')) files[relative(project, p).split(sep).join('/')] = readFileSync(p, 'utf8');
    }
  };
  walk(join(project, 'src'));
  return files;
}

export interface InputOptions {
  /** The stack whose names the artifacts carry. Without one (only `adf generate`, as before) the factory keeps the generator's defaults and the rest is dev's. */
  readonly stack?: string | undefined;
  readonly metabasePrincipal?: string | undefined;
  readonly loaderPrincipal?: string | undefined;
}

/** Every target's input for the contracts `set`: the job plan and the stack's options (the workspace URL and id only exist after `pulumi up`). */
export function generateInput(root: string, set: ContractSet, o: InputOptions = {}): GenerateInput {
  const stack = stackOption(o.stack ?? 'dev');
  const { config, names } = loadStack(root, stack);
  return {
    set,
    plan: compileJobs(set),
    factory: o.stack === undefined ? {} : stackFactoryOptions(config),
    bundle: {
      runtimeFiles: runtimeProjectFiles(root),
      namePrefix: config.namePrefix,
      lakeAccounts: Object.fromEntries(STACKS.map((s) => [s, s === stack ? names.lakeAccount : loadStack(root, s).names.lakeAccount])),
      sparkVersion: config.databricks.sparkVersion,
      nodeTypeId: config.databricks.nodeTypeId,
      minWorkers: config.databricks.minWorkers,
      maxWorkers: config.databricks.maxWorkers,
    },
    serving: stackServingOptions(config, o),
    odcs: { environment: config.env, lakeAccount: names.lakeAccount, sqlServer: names.dashed('sql'), sqlDatabase: `sqldb-${config.namePrefix}-serving` },
  };
}
