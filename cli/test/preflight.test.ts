/**
 * `streampulse preflight --stack dev|prod [--json]` through the built binary
 * (cli/dist/src/bin.js, built by `tsc -b`): the Pulumi program is rendered under mocks in
 * the CLI's own process. The JSON shape, the exit code (1 on any failed check) and the
 * text report.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_DIR, ROOT, run } from './run.js';

const bin = join(ROOT, 'cli', 'dist', 'src', 'bin.js');
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env['INIT_CWD'];
const preflight = (cwd: string, ...args: string[]) => {
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: build first with \`node_modules/.bin/tsc -b\``);
  return spawnSync(process.execPath, [bin, 'preflight', ...args], { cwd, encoding: 'utf8', env });
};

/** A workspace whose dev stack file does not validate. */
const broken = mkdtempSync(join(tmpdir(), 'sp-preflight-cli-'));
afterAll(() => rmSync(broken, { recursive: true, force: true }));
writeFileSync(join(broken, 'pnpm-workspace.yaml'), 'packages: []\n');
mkdirSync(join(broken, 'infra'));
writeFileSync(
  join(broken, 'infra', 'Pulumi.dev.yaml'),
  readFileSync(join(ROOT, 'infra', 'Pulumi.dev.yaml'), 'utf8').replace('namePrefix: spulse', 'namePrefix: SP'),
);

describe('streampulse preflight (the built binary)', () => {
  it('--stack dev --json prints {stack, checks: [{id, ok, detail}], prerequisites}; at least 20 checks; exit 0 exactly when every check passes', () => {
    const r = preflight(CLI_DIR, '--stack', 'dev', '--json');
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { stack: string; checks: { id: string; ok: boolean; detail: string }[]; prerequisites: string[] };
    expect(Object.keys(report).sort()).toStrictEqual(['checks', 'prerequisites', 'stack']);
    expect(report.stack).toBe('dev');
    expect(report.checks.length).toBeGreaterThanOrEqual(20);
    for (const c of report.checks) {
      expect(Object.keys(c).sort()).toStrictEqual(['detail', 'id', 'ok']);
      expect(typeof c.ok).toBe('boolean');
      expect(c.detail.length).toBeGreaterThan(0);
    }
    expect(report.prerequisites.some((p) => p.startsWith('streampulse:sql.adminGroup.objectId: a stand-in here'))).toBe(true);
    expect(r.status).toBe(report.checks.every((c) => c.ok) ? 0 : 1);
    expect(report.checks.filter((c) => !c.ok)).toStrictEqual([]);
  }, 120_000);

  it('a stack file that does not validate: exit 1, one failed config-valid check naming the key; the text report marks it ✗ and lists the prerequisites', () => {
    const json = preflight(broken, '--stack', 'dev', '--json');
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as { checks: { id: string; ok: boolean; detail: string }[] };
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ id: 'config-valid', ok: false });
    expect(report.checks[0]!.detail).toContain('streampulse:namePrefix');
    const text = preflight(broken, '--stack', 'dev');
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(
      /^preflight of stack dev: 1 checks, 1 failed\n✗ config-valid: infra\/Pulumi\.dev\.yaml \(parseStackConfig\)\. Wrong: streampulse:namePrefix: .+ Fix: /,
    );
    expect(text.stdout).toContain('\nManual prerequisites (cannot be checked offline):\n  - ');
  }, 60_000);

  it('an unknown stack is an error with the fix, exit 1', async () => {
    const r = await run(['preflight', '--stack', 'qa']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("unknown stack 'qa'");
    expect(r.err).toContain('--stack dev or --stack prod');
  });
});
