/**
 * Every command that writes a folder owns it through a marker (issue 19): it creates the
 * folder when absent or empty, replaces only a folder carrying its marker, and otherwise
 * refuses — exit 1, the error with the fix, nothing touched. One case per command.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GENERATED_MARKER } from '@streampulse/cli';
import { LAKE_MARKER } from '@streampulse/rehearsal';
import { run, VALID } from './run.js';

const TMP = mkdtempSync(join(tmpdir(), 'sp-cli-folders-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Every file under a folder with its text (and every folder), to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) {
        out[`${relative(dir, p)}/`] = '';
        walk(p);
      } else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const SMALL = ['--users', '5', '--days', '1', '--no-progress'];

describe('a folder that is not the command’s own is refused, and left as it was', () => {
  it.each([
    // [command, its arguments for --out DIR, the folder under DIR that holds the foreign file, the error]
    ['generate', (out: string) => ['generate', '--out', out], 'sql', 'GENERATE_FOLDER_NOT_OURS'],
    ['adf generate', (out: string) => ['adf', 'generate', '--out', out], 'adf', 'GENERATE_FOLDER_NOT_OURS'],
    ['sql generate', (out: string) => ['sql', 'generate', '--out', out], 'sql', 'GENERATE_FOLDER_NOT_OURS'],
    ['sources generate', (out: string) => ['sources', 'generate', '--dir', VALID, '--out', out, ...SMALL], '', 'SOURCES_FOLDER_NOT_OURS'],
    ['dashboard build', (out: string) => ['dashboard', 'build', '--dir', VALID, '--db', join(TMP, 'no.sqlite'), '--out', out], '', 'DASHBOARD_FOLDER_NOT_OURS'],
    ['demo', (out: string) => ['demo', '--dir', VALID, '--out', out, ...SMALL], '', 'LAKE_NOT_OURS'],
    [
      'bench',
      (out: string) => ['bench', '--dir', VALID, '--out', out, '--users', '5', '--days', '1', '--in-process', '--no-progress'],
      '',
      'BENCH_FOLDER_NOT_OURS',
    ],
  ])(
    '%s',
    async (name, args, sub, code) => {
      const out = join(TMP, name.replace(' ', '-'));
      const owned = join(out, sub);
      mkdirSync(owned, { recursive: true });
      writeFileSync(join(owned, 'keep.txt'), 'not generated\n');
      const before = snapshot(out);
      const r = await run(args(out));
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error ${code}: ${owned.replace(/\/$/, '')} is not empty and was not written by streampulse `);
      expect(r.err).toContain(`fix: choose a new or empty --out folder, or delete ${owned.replace(/\/$/, '')} yourself if you no longer need it`);
      expect(r.err).not.toContain('internal error');
      expect(snapshot(out)).toStrictEqual(before);
      expect(readFileSync(join(owned, 'keep.txt'), 'utf8')).toBe('not generated\n');
    },
    60_000,
  );
});

describe('a folder that is new, empty or the command’s own is written', () => {
  it('sources generate: creates an empty folder with its marker, and replaces only its own (stale files go)', async () => {
    const out = join(TMP, 'landing');
    mkdirSync(out);
    expect((await run(['sources', 'generate', '--dir', VALID, '--out', out, ...SMALL])).code).toBe(0);
    expect(readFileSync(join(out, GENERATED_MARKER), 'utf8').split('\n')[0]).toBe('sources');
    const first = snapshot(out);
    writeFileSync(join(out, 'stale.txt'), 'stale\n');
    expect((await run(['sources', 'generate', '--dir', VALID, '--out', out, ...SMALL])).code).toBe(0);
    expect(snapshot(out)).toStrictEqual(first);
  }, 60_000);

  it('demo: its lake, its landing/ and its dashboard/ carry the markers of demo, sources generate and dashboard build, which replace them', async () => {
    const lake = join(TMP, 'lake');
    const demo = await run(['demo', '--dir', VALID, '--out', lake, '--users', '30', '--days', '2', '--no-progress']);
    expect([demo.code, demo.err]).toStrictEqual([0, '']);
    expect(existsSync(join(lake, LAKE_MARKER))).toBe(true);
    expect(readFileSync(join(lake, 'landing', GENERATED_MARKER), 'utf8').split('\n')[0]).toBe('sources');
    expect(readFileSync(join(lake, 'dashboard', GENERATED_MARKER), 'utf8').split('\n')[0]).toBe('dashboard');
    writeFileSync(join(lake, 'dashboard', 'stale.txt'), 'stale\n');
    const page = await run(['dashboard', 'build', '--dir', VALID, '--db', join(lake, 'serving', 'streampulse.sqlite'), '--out', join(lake, 'dashboard')]);
    expect([page.code, page.err]).toStrictEqual([0, '']);
    expect(readdirSync(join(lake, 'dashboard')).sort()).toStrictEqual([GENERATED_MARKER, 'index.html']);
    const landing = await run(['sources', 'generate', '--dir', VALID, '--out', join(lake, 'landing'), ...SMALL]);
    expect([landing.code, landing.err]).toStrictEqual([0, '']);
    // a second demo replaces its own lake
    expect((await run(['demo', '--dir', VALID, '--out', lake, ...SMALL])).code).toBe(0);
    expect(existsSync(join(lake, 'dashboard', 'stale.txt'))).toBe(false);
  }, 120_000);
});
