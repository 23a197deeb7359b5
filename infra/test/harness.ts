/**
 * Runs the real Pulumi program (src/main.ts) of a stack under Pulumi's runtime mocks
 * (`pulumi.runtime.setMocks` is called BEFORE the program is imported) with the
 * stack's own config file, and records every resource it registers. The rendering
 * itself is src/mock-render.ts, shared with `streampulse preflight`.
 */
import { join } from 'node:path';
import { renderStack as render, stackConfig as readConfig, type Rendered } from '../src/mock-render.js';

export { MOCK_SUBSCRIPTION, MOCK_TENANT, MOCK_WORKSPACE_HOST, value, resolveOutputs, type Rendered } from '../src/mock-render.js';

export const INFRA_DIR = join(__dirname, '..');
const ROOT = join(INFRA_DIR, '..');
/** The value the tests give the stack secret; the policies prove it never appears in plain text. */
export const TEST_SECRET = 'TEST-ONLY-metabase-db-password-5f1c';

/** The raw config of a stack file, as the Pulumi CLI hands it to the program (objects as JSON text), deploy-time keys stood in (as under preflight). */
export function stackConfig(stack: string): Record<string, string> {
  return readConfig(ROOT, stack);
}

/** Renders a stack's entry point (src/main.ts) under mocks. `configOverride` edits the raw config first (for failure tests). */
export function renderStack(stack: string, configOverride?: (c: Record<string, string>) => void): Promise<Rendered> {
  return render(stack, {
    root: ROOT,
    program: 'main',
    secrets: { metabaseDbAdminPassword: TEST_SECRET },
    ...(configOverride === undefined ? {} : { configOverride }),
  });
}

export const ofType = (r: Rendered, type: string): Rendered['resources'] => r.resources.filter((x) => x.type === type);
export const one = (r: Rendered, type: string, name?: string): Rendered['resources'][number] => {
  const found = ofType(r, type).filter((x) => name === undefined || x.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${type}${name === undefined ? '' : ` named ${name}`}, found ${found.length}: ${found.map((f) => f.name).join(', ')}`);
  return found[0]!;
};
