import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { BROKEN, CLI_DIR, FIXTURES, VALID, hasAnsi, run, tempOutside, tempWorkspace } from './run.js';

describe('streampulse contracts validate — a valid folder', () => {
  it('prints a summary table listing every dataset, model, mart, dashboard and card, then the ok line; exit 0', async () => {
    const r = await run(['contracts', 'validate', VALID]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('contracts in test/fixtures/valid');
    expect(r.out).toMatch(/^KIND +NAME +FILE +DETAILS$/m);
    for (const name of [
      'subscribers',
      'playbacks',
      'dim_subscriber',
      'fact_playback',
      'analytics_watch_daily',
      'metrics',
      'viewing_board',
      'viewers_trend',
      'completion_by_country',
    ])
      expect(r.out).toMatch(new RegExp(`^\\w+ +${name} `, 'm'));
    // kind-specific details: dataset columns / rules / PII; mart grain / measures; dashboard cards
    expect(r.out).toMatch(
      /^dataset +subscribers +test\/fixtures\/valid\/datasets\/subscribers\.yaml +6 columns, 2 quality rules, PII: email, full_name \(jsonl, daily\)$/m,
    );
    expect(r.out).toMatch(
      /^mart +analytics_watch_daily .* grain: play_date, country; measures: viewers, minutes_watched, playbacks, completed_playbacks, completion_rate$/m,
    );
    expect(r.out).toMatch(/^dashboard +viewing_board .* "Viewing board", 2 cards$/m);
    expect(r.out).toMatch(/^card +viewers_trend +test\/fixtures\/valid\/dashboard\.yaml +line of viewers by play_date from analytics_watch_daily$/m);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('✓ 2 datasets, 2 models, 1 mart, 1 dashboard (2 cards) valid');
    expect(hasAnsi(r.out)).toBe(false);
  });

  it('resolves a relative folder against the injected cwd, and against INIT_CWD (set by pnpm) when no cwd is given', async () => {
    const fromFixtures = await run(['contracts', 'validate', 'valid'], { cwd: FIXTURES });
    expect(fromFixtures.code).toBe(0);
    expect(fromFixtures.out).toContain('valid/datasets/subscribers.yaml');
    const viaInitCwd = await run(['contracts', 'validate', 'valid'], { cwd: undefined, env: { INIT_CWD: FIXTURES } });
    expect(viaInitCwd.code).toBe(0);
    expect(viaInitCwd.out).toBe(fromFixtures.out);
  });

  describe('without a folder argument', () => {
    const ws = tempWorkspace();
    const outside = tempOutside();
    afterAll(() => {
      ws.cleanup();
      outside.cleanup();
    });

    it('validates <workspace root>/contracts/streampulse, found from anywhere inside the workspace', async () => {
      const r = await run(['contracts', 'validate'], { cwd: join(ws.root, 'contracts') });
      expect(r.code).toBe(0);
      expect(r.out).toContain('contracts in streampulse');
      expect(r.out).toContain('✓ 2 datasets, 2 models, 1 mart, 1 dashboard (2 cards) valid');
    });

    it('falls back to the workspace holding the binary when the cwd is outside any workspace', async () => {
      const r = await run(['contracts', 'validate'], { cwd: outside.dir, workspaceRoot: ws.root });
      expect(r.code).toBe(0);
      expect(r.out).toContain('✓ 2 datasets');
    });

    it('outside any workspace: a StreamPulseError (code, message, fix), no stack trace, exit 1', async () => {
      const r = await run(['contracts', 'validate'], { cwd: outside.dir });
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toContain('CLI_WORKSPACE_NOT_FOUND: no StreamPulse workspace');
      expect(r.err).toContain('  fix: run the command inside the StreamPulse repository');
      expect(r.err).not.toMatch(/^\s+at /m);
    });
  });
});

describe('streampulse contracts validate — a broken folder', () => {
  it('lists every issue grouped by file with file:line:column, field, fix and code, then a count line; exit 1', async () => {
    const r = await run(['contracts', 'validate', BROKEN]);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    const at = (text: string): number => lines.findIndex((l) => l.includes(text));
    // one group per file, in path order, each issue right under its file's header
    const groups = ['dashboard.yaml', 'datasets/subscribers.yaml', 'gold/fact_playback.yaml'].map((f) => at(`✗ test/fixtures/broken/${f} (1 problem)`));
    expect(groups.every((i) => i >= 0)).toBe(true);
    expect([...groups].sort((a, b) => a - b)).toEqual(groups);
    expect(at('test/fixtures/broken/dashboard.yaml:20:11 cards[1].mart: card "completion_by_country" reads mart "analytics_watch_dialy"')).toBe(groups[0]! + 1);
    expect(at('test/fixtures/broken/datasets/subscribers.yaml:37:11 columns[3].type:')).toBe(groups[1]! + 1);
    expect(at('test/fixtures/broken/gold/fact_playback.yaml:22:19 columns[2].expr:')).toBe(groups[2]! + 1);
    for (const code of ['CONTRACT_UNKNOWN_MART', 'CONTRACT_INVALID_VALUE', 'CONTRACT_UNKNOWN_COLUMN']) expect(r.out).toContain(`[${code}]`);
    expect(r.out).toContain('did you mean "started_at"?');
    expect(r.out).toMatch(/^ {6}fix: /m);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('✗ 3 problems in 3 of 7 contract files');
    expect(r.out).not.toContain('✓');
  });

  it('a missing folder is one CONTRACT_DIR_MISSING problem; exit 1', async () => {
    const r = await run(['contracts', 'validate', 'no/such/folder']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('[CONTRACT_DIR_MISSING]');
    expect(r.out).toContain(join(CLI_DIR, 'no', 'such', 'folder'));
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('✗ 1 problem');
  });
});

describe('streampulse contracts validate --json', () => {
  it('valid: only JSON on stdout, sorted keys, counts, every contract with its details', async () => {
    const r = await run(['contracts', 'validate', VALID, '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['contracts', 'counts', 'dir', 'files', 'issues', 'ok']);
    expect(doc['ok']).toBe(true);
    expect(doc['dir']).toBe('test/fixtures/valid');
    expect(doc['counts']).toEqual({ cards: 2, dashboards: 1, datasets: 2, marts: 1, metrics: 4, models: 2 });
    expect(doc['issues']).toEqual([]);
    const contracts = doc['contracts'] as { kind: string; name: string; file: string; details: Record<string, unknown> }[];
    expect(contracts.map((c) => `${c.kind}:${c.name}`)).toEqual([
      'dataset:playbacks',
      'dataset:subscribers',
      'model:dim_subscriber',
      'model:fact_playback',
      'mart:analytics_watch_daily',
      'metrics:metrics',
      'dashboard:viewing_board',
      'card:viewers_trend',
      'card:completion_by_country',
    ]);
    expect(contracts[1]).toEqual({
      kind: 'dataset',
      name: 'subscribers',
      file: 'test/fixtures/valid/datasets/subscribers.yaml',
      details: { columns: 6, format: 'jsonl', pii_columns: ['email', 'full_name'], quality_rules: 2, schedule: 'daily' },
    });
    expect(contracts[4]?.details).toEqual({
      dimensions: ['play_date', 'country'],
      grain: ['play_date', 'country'],
      measures: ['viewers', 'minutes_watched', 'playbacks', 'completed_playbacks', 'completion_rate'],
    });
    expect((doc['files'] as unknown[]).length).toBe(7);
    // canonical: the text is byte-identical run to run, and keys are sorted at every level
    expect((await run(['contracts', 'validate', VALID, '--json'])).out).toBe(r.out);
    expect(r.out.indexOf('"columns"')).toBeLessThan(r.out.indexOf('"format"'));
  });

  it('broken: ok false, every issue located, exit 1', async () => {
    const r = await run(['contracts', 'validate', BROKEN, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as {
      ok: boolean;
      counts: unknown;
      contracts: unknown[];
      issues: { code: string; file: string; line: number; column: number; path: string }[];
      files: { file: string; valid: boolean }[];
    };
    expect(doc.ok).toBe(false);
    expect(doc.counts).toBeNull();
    expect(doc.contracts).toEqual([]);
    expect(doc.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path} ${i.code}`)).toEqual([
      'test/fixtures/broken/dashboard.yaml:20:11 cards[1].mart CONTRACT_UNKNOWN_MART',
      'test/fixtures/broken/datasets/subscribers.yaml:37:11 columns[3].type CONTRACT_INVALID_VALUE',
      'test/fixtures/broken/gold/fact_playback.yaml:22:19 columns[2].expr CONTRACT_UNKNOWN_COLUMN',
    ]);
    expect(doc.files.filter((f) => !f.valid).map((f) => f.file)).toEqual([
      'test/fixtures/broken/dashboard.yaml',
      'test/fixtures/broken/datasets/subscribers.yaml',
      'test/fixtures/broken/gold/fact_playback.yaml',
    ]);
  });
});

describe('colour', () => {
  it('is off unless asked for (tests, pipes), and on when the caller says the stream is a terminal', async () => {
    expect(hasAnsi((await run(['contracts', 'validate', VALID])).out)).toBe(false);
    const coloured = await run(['contracts', 'validate', VALID], { color: true });
    expect(hasAnsi(coloured.out)).toBe(true);
    expect(coloured.out.replace(/\u001b\[[0-9;]*m/g, '')).toBe((await run(['contracts', 'validate', VALID])).out);
    expect(hasAnsi((await run(['contracts', 'validate', VALID, '--json'], { color: true })).out)).toBe(false);
  });
});
