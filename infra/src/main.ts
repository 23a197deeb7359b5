/**
 * The Pulumi program (Pulumi.yaml `main`): reads and validates the stack config, loads
 * the contracts from the workspace, and builds the estate. Run by `pulumi up` from
 * infra/ after `tsc -b` (the deploy workflow does both).
 */
import * as pulumi from '@pulumi/pulumi';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { join } from 'node:path';
import { CONFIG_NAMESPACE, parseStackConfig } from './config.js';
import { createEstate, type EstateOutputs } from './program.js';

export default function main(): EstateOutputs {
  const stack = pulumi.getStack();
  const config = parseStackConfig(pulumi.runtime.allConfig(), stack);
  const root = findWorkspaceRoot(process.cwd());
  if (root === undefined) throw new Error('run pulumi from infra/ inside the StreamPulse workspace (no pnpm-workspace.yaml above the current folder)');
  const set = loadContractsOrThrow(join(root, STREAMPULSE_CONTRACTS_DIR));
  return createEstate(config, set, { metabaseDbAdminPassword: new pulumi.Config(CONFIG_NAMESPACE).requireSecret('metabaseDbAdminPassword') });
}
