/**
 * `streampulse contracts diff`: the three output formats in-process, and the gate end to
 * end with the built binary in a temporary git repository (a commit that changes a
 * contract, diffed against the commit before it).
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, run } from './run.js';

const BIN = join(ROOT, 'cli', 'dist', 'src', 'bin.js');
const CONTRACTS_VALID = join(ROOT, 'contracts', 'test', 'fixtures', 'valid');

/** A temp copy of the contracts fixture with one text replaced. */
function changedCopy(file: string, from: string, to: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'streampulse-diff-'));
  cpSync(CONTRACTS_VALID, dir, { recursive: true });
  const p = join(dir, file);
  const text = readFileSync(p, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
  writeFileSync(p, text.replace(from, to));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('streampulse contracts diff (in-process, --base <dir>)', () => {
  it('text: names the breaking change at file:line with what it reaches, and exits 1 without a major bump', async () => {
    const head = changedCopy('payments.yaml', 'type: decimal(10,2)', 'type: decimal(8,2)');
    try {
      const r = await run(['contracts', 'diff', '--base', CONTRACTS_VALID, '--dir', head.dir], { cwd: head.dir });
      expect(r.code).toBe(1);
      expect(r.out).toContain('BREAKING   payments.yaml:31  dataset payments: columns.amount.type: "decimal(10,2)" → "decimal(8,2)" (narrowed type)');
      expect(r.out).toContain('reaches silver: payments · gold: fact_payments · marts: analytics_revenue · cards: revenue_board.revenue_trend');
      expect(r.out).toContain('set version: 2.0.0 in payments.yaml');
      expect(r.out).toContain('gate: FAIL');
    } finally {
      head.cleanup();
    }
  });

  it('markdown: a summary table with the verdict and a row per change with its impact', async () => {
    const head = changedCopy('payments.yaml', 'type: decimal(10,2)', 'type: decimal(8,2)');
    try {
      const r = await run(['contracts', 'diff', '--base', CONTRACTS_VALID, '--dir', head.dir, '--format', 'markdown'], { cwd: head.dir });
      expect(r.code).toBe(1);
      expect(r.out).toContain('❌ the breaking-change gate fails');
      expect(r.out).toContain('| dataset `payments` | `payments.yaml` | 1 | 0 | 1.0.0 → 1.0.0 | ❌');
      expect(r.out).toContain(
        '| **breaking** | `payments.yaml:31` | dataset payments: columns.amount.type: "decimal(10,2)" → "decimal(8,2)" (narrowed type) | `payments` | `fact_payments` | `analytics_revenue` | `revenue_board.revenue_trend` |',
      );
    } finally {
      head.cleanup();
    }
  });

  it('json: the documented schema; a compatible change without a bump passes with a warning', async () => {
    const head = changedCopy('payments.yaml', 'description: Payment attempts.', 'description: Payment attempts at the gateway.');
    try {
      const r = await run(['contracts', 'diff', '--base', CONTRACTS_VALID, '--dir', head.dir, '--format', 'json'], { cwd: head.dir });
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out);
      expect(Object.keys(j).sort()).toEqual(['base', 'changes', 'contracts', 'dir', 'gate', 'ok', 'summary']);
      expect(j.ok).toBe(true);
      expect(j.summary).toEqual({ breaking: 0, compatible: 1 });
      expect(j.changes).toEqual([
        {
          class: 'compatible',
          rule: 'dataset.description',
          op: 'changed',
          contract: { kind: 'dataset', name: 'payments', file: 'payments.yaml' },
          path: 'description',
          line: 5,
          what: 'description: "Payment attempts." → "Payment attempts at the gateway." (documentation text)',
          before: 'Payment attempts.',
          after: 'Payment attempts at the gateway.',
          impact: { silver: ['payments'], gold: ['fact_payments'], marts: ['analytics_revenue'], cards: ['revenue_board.revenue_trend'] },
        },
      ]);
      expect(j.gate.warnings).toEqual(['payments.yaml: compatible changes only and the version was not bumped (1.0.0): a minor or patch bump is recommended']);
      expect(j.contracts[0]).toMatchObject({ status: 'not_bumped', base: '1.0.0', head: '1.0.0' });
    } finally {
      head.cleanup();
    }
  });

  it('an unknown --format is a usage error (exit 2); a --base that is neither folder nor commit fails with a fix', async () => {
    expect((await run(['contracts', 'diff', '--base', CONTRACTS_VALID, '--dir', CONTRACTS_VALID, '--format', 'html'])).code).toBe(2);
    const tmp = mkdtempSync(join(tmpdir(), 'streampulse-diff-nogit-'));
    try {
      const r = await run(['contracts', 'diff', '--base', 'no-such-ref', '--dir', join(FIXTURES, 'valid')], { cwd: tmp });
      expect(r.code).toBe(1);
      expect(r.err).toContain('CLI_DIFF_');
      expect(r.err).toContain('fix:');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('streampulse contracts diff end to end: the built binary in a temporary git repository', () => {
  const git = (cwd: string, ...args: string[]): string => {
    const r = spawnSync('git', ['-c', 'user.name=StreamPulse Test', '-c', 'user.email=test@example.test', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  it('a changed measure definition fails the gate against HEAD~1, and passes after the major version bump', () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} does not exist: build first with \`node_modules/.bin/tsc -b\` (scripts/test.sh does)`);
    const repo = mkdtempSync(join(tmpdir(), 'streampulse-diff-git-'));
    try {
      cpSync(join(ROOT, 'contracts', 'streampulse'), join(repo, 'contracts', 'streampulse'), { recursive: true });
      git(repo, 'init', '-q');
      git(repo, 'add', 'contracts');
      git(repo, 'commit', '-q', '-m', 'contracts');
      const mart = join(repo, 'contracts', 'streampulse', 'marts', 'analytics_kpi_monthly.yaml');
      const text = readFileSync(mart, 'utf8');
      const from = 'definition: Distinct accounts with at least one valid playback session or at least one watch event during the month.';
      expect(text).toContain(from);
      expect(text).toContain('\nversion: 1.0.0\n');
      writeFileSync(mart, text.replace(from, 'definition: Distinct accounts with at least one watch event during the month.'));
      const line = text.split('\n').findIndex((l) => l.includes(from)) + 1;
      git(repo, 'commit', '-q', '-am', 'narrow active users');

      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
      delete env['INIT_CWD'];
      const diff = () =>
        spawnSync(process.execPath, [BIN, 'contracts', 'diff', '--base', 'HEAD~1', '--dir', 'contracts/streampulse'], { cwd: repo, encoding: 'utf8', env });
      const fail = diff();
      expect(fail.stderr).toBe('');
      expect(fail.status).toBe(1);
      expect(fail.stdout).toContain(
        `BREAKING   contracts/streampulse/marts/analytics_kpi_monthly.yaml:${line}  mart analytics_kpi_monthly: measures.active_users.definition:`,
      );
      expect(fail.stdout).toContain('(changed measure definition)');
      expect(fail.stdout).toMatch(
        /reaches silver: — · gold: — · marts: analytics_kpi_monthly · cards: .*growth_retention_command_center\.active_users_this_month/,
      );
      expect(fail.stdout).toContain('set version: 2.0.0 in contracts/streampulse/marts/analytics_kpi_monthly.yaml');

      writeFileSync(mart, readFileSync(mart, 'utf8').replace('\nversion: 1.0.0\n', '\nversion: 2.0.0\n'));
      git(repo, 'commit', '-q', '-am', 'active users: major version 2');
      // against the commit before the definition change: the breaking change is still there, now with its bump
      const pass = spawnSync(process.execPath, [BIN, 'contracts', 'diff', '--base', 'HEAD~2', '--dir', 'contracts/streampulse'], {
        cwd: repo,
        encoding: 'utf8',
        env,
      });
      expect(pass.status).toBe(0);
      expect(pass.stdout).toContain('mart analytics_kpi_monthly: measures.active_users.definition:');
      expect(pass.stdout).toContain('major version bumped 1.0.0 → 2.0.0');
      expect(pass.stdout).toContain('gate: pass');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }, 120_000);
});
