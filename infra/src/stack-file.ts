/**
 * A stack's committed configuration read from `infra/Pulumi.<stack>.yaml` (outside the
 * Pulumi engine): what the CLI's deploy steps and `generate` use to name things exactly as
 * the stack's program does. Deploy-time keys get their stand-in (they name no resource).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { StreamPulseError } from '@streampulse/contracts';
import { type StackConfig, parseStackConfig, stackFile, withDeployTimeStandIns } from './config.js';
import { type Naming, FACTORY_BASE_PREFIX, naming } from './naming.js';
import type { FactoryOptions } from '@streampulse/pipelines';

export const STACKS = ['dev', 'prod'] as const;
export type StackName = (typeof STACKS)[number];
export const isStackName = (s: string): s is StackName => (STACKS as readonly string[]).includes(s);

/** The raw `config:` map of a stack file as the Pulumi CLI hands it to a program (objects as JSON text). */
export function readStackFile(root: string, stack: string): Record<string, string> {
  const path = join(root, stackFile(stack));
  if (!existsSync(path))
    throw new StreamPulseError('INFRA_STACK_UNKNOWN', `no stack file ${stackFile(stack)}`, {
      remedy: `use one of the stacks ${STACKS.join(', ')} (infra/Pulumi.<stack>.yaml)`,
    });
  const doc = parse(readFileSync(path, 'utf8')) as { config?: Record<string, unknown> } | null;
  const config = doc?.config ?? {};
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

/** The stack's validated config (stand-ins for the deploy-time keys and the stack secret) and its names. */
export function loadStack(root: string, stack: string): { readonly config: StackConfig; readonly names: Naming } {
  const raw = withDeployTimeStandIns({ ...readStackFile(root, stack), 'streampulse:metabaseDbAdminPassword': '(not read outside pulumi)' });
  const config = parseStackConfig(raw, stack);
  return { config, names: naming(config) };
}

/**
 * The Data Factory generator's options for a stack: the names the stack's program passes
 * (infra's DataFactory component uses the same function), with the workspace URL and
 * resource id the deployment gives — before it, placeholders that name no real workspace.
 */
export function stackFactoryOptions(config: StackConfig, workspace?: { readonly url: string; readonly id: string }): FactoryOptions {
  const names = naming(config);
  const url = workspace?.url ?? 'https://adb-0000000000000000.0.azuredatabricks.net';
  return {
    factoryName: `${FACTORY_BASE_PREFIX}${config.namePrefix}`,
    environment: config.env,
    location: config.location,
    lakeAccount: names.lakeAccount,
    sourceAccount: names.sourceAccount,
    keyVaultName: names.keyVault,
    databricksWorkspaceUrl: url.startsWith('https://') ? url : `https://${url}`,
    databricksWorkspaceResourceId:
      workspace?.id ??
      `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${names.resourceGroup}/providers/Microsoft.Databricks/workspaces/${names.dashed('dbw')}`,
    ingestBatchCount: config.dataFactory.ingestBatchCount,
    triggerStart: config.dataFactory.triggerStart,
    scheduleHour: config.dataFactory.scheduleHour,
  };
}
