/**
 * The generate registry (pure targets: file maps) and the one writer that owns their
 * folders through the `.streampulse-generated` marker: creates absent or empty folders,
 * replaces only its own, refuses anything else before writing anything.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamPulseError, findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { GENERATED_MARKER, selectTargets, TARGETS, writeGenerated } from '@streampulse/cli';
import { generateInput } from '../src/generate/input.js';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const TMP = mkdtempSync(join(tmpdir(), 'sp-generate-writer-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(TMP, `case-${++n}`);

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    files(dir)
      .sort()
      .map((p) => [p.slice(dir.length), readFileSync(p, 'utf8')]),
  );

const A = { target: 'a', folder: 'a', files: { 'x.txt': 'x\n', 'sub/y.txt': 'y\n' } };
const B = { target: 'b', folder: 'b', files: { 'z.txt': 'z\n' } };

const refusal = (f: () => unknown): StreamPulseError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StreamPulseError);
    return e as StreamPulseError;
  }
  throw new Error('expected a refusal');
};

describe('the generate registry', () => {
  const input = generateInput(ROOT, loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR)), { stack: 'dev' });

  it('holds adf, databricks, sql, metabase, odcs and dbt, each its own folder, pure: the same input gives the same file map, without the marker', () => {
    expect(TARGETS.map((t) => [t.name, t.folder])).toStrictEqual([
      ['adf', 'adf'],
      ['databricks', 'databricks'],
      ['sql', 'sql'],
      ['metabase', 'metabase'],
      ['odcs', 'odcs'],
      ['dbt', 'dbt'],
    ]);
    for (const t of TARGETS) {
      const a = t.files(input);
      expect(Object.keys(a).length).toBeGreaterThan(0);
      expect(t.files(input)).toStrictEqual(a);
      expect(Object.keys(a).filter((p) => p.split('/').includes(GENERATED_MARKER))).toStrictEqual([]);
    }
  });

  it('the writer puts exactly the file map on disk, plus the marker', () => {
    const out = fresh();
    const sql = TARGETS.find((t) => t.name === 'sql')!;
    const map = sql.files(input);
    const [w] = writeGenerated(out, [{ target: sql.name, folder: sql.folder, files: map }]);
    expect(w!.files).toStrictEqual(Object.keys(map));
    expect(snapshot(join(out, 'sql'))).toStrictEqual({
      ...Object.fromEntries(Object.entries(map).map(([p, t]) => [`/${p}`, t])),
      [`/${GENERATED_MARKER}`]: readFileSync(join(out, 'sql', GENERATED_MARKER), 'utf8'),
    });
  });

  it('selectTargets: every target by default, the named ones in registry order, an unknown name refused', () => {
    expect(selectTargets(undefined).map((t) => t.name)).toStrictEqual(['adf', 'databricks', 'sql', 'metabase', 'odcs', 'dbt']);
    expect(selectTargets('sql, adf,sql').map((t) => t.name)).toStrictEqual(['adf', 'sql']);
    expect(refusal(() => selectTargets('looker')).code).toBe('GENERATE_UNKNOWN_TARGET');
    expect(refusal(() => selectTargets('sql,')).code).toBe('GENERATE_UNKNOWN_TARGET');
  });
});

describe('writeGenerated', () => {
  it('creates an absent --out and its folders, each with a marker naming its target', () => {
    const out = fresh();
    const w = writeGenerated(out, [A, B]);
    expect(w.map((x) => [x.target, x.dir, x.files])).toStrictEqual([
      ['a', join(out, 'a'), ['x.txt', 'sub/y.txt']],
      ['b', join(out, 'b'), ['z.txt']],
    ]);
    expect(readFileSync(join(out, 'a', GENERATED_MARKER), 'utf8').split('\n')[0]).toBe('a');
    expect(readFileSync(join(out, 'a', 'sub', 'y.txt'), 'utf8')).toBe('y\n');
    expect(readdirSync(out).sort()).toStrictEqual(['a', 'b']);
  });

  it('writes into an empty folder', () => {
    const out = fresh();
    mkdirSync(join(out, 'a'), { recursive: true });
    writeGenerated(out, [A]);
    expect(readdirSync(join(out, 'a')).sort()).toStrictEqual([GENERATED_MARKER, 'sub', 'x.txt']);
  });

  it('replaces a folder carrying its own marker: old contents gone, new ones written, the rest of --out untouched', () => {
    const out = fresh();
    writeGenerated(out, [A]);
    writeFileSync(join(out, 'a', 'stale.txt'), 'old\n');
    writeFileSync(join(out, 'keep.txt'), 'mine\n');
    writeGenerated(out, [{ ...A, files: { 'x.txt': 'x2\n' } }]);
    expect(readdirSync(join(out, 'a')).sort()).toStrictEqual([GENERATED_MARKER, 'x.txt']);
    expect(readFileSync(join(out, 'a', 'x.txt'), 'utf8')).toBe('x2\n');
    expect(readdirSync(out).sort()).toStrictEqual(['a', 'keep.txt']);
  });

  it.each([
    [
      'a non-empty folder without the marker',
      (dir: string) => {
        mkdirSync(dir);
        writeFileSync(join(dir, 'keep.txt'), 'mine\n');
      },
      'is not empty and was not written by streampulse generate',
    ],
    [
      'the marker of another target',
      (dir: string) => {
        mkdirSync(dir);
        writeFileSync(join(dir, GENERATED_MARKER), 'b\n');
      },
      "carries the marker of target 'b', not 'a'",
    ],
    ['a file', (dir: string) => writeFileSync(dir, 'mine\n'), 'is a file, not a folder'],
    [
      'a symbolic link to a folder',
      (dir: string) => {
        mkdirSync(`${dir}-real`);
        symlinkSync(`${dir}-real`, dir);
      },
      'is a symbolic link',
    ],
  ])('refuses %s with GENERATE_FOLDER_NOT_OURS and writes nothing (not even the other, free folders)', (_what, make, why) => {
    const out = fresh();
    mkdirSync(out);
    make(join(out, 'a'));
    const before = readdirSync(out).sort();
    const e = refusal(() => writeGenerated(out, [B, A]));
    expect(e.code).toBe('GENERATE_FOLDER_NOT_OURS');
    expect(e.message).toContain(`${join(out, 'a')} ${why}`);
    expect(e.message).toContain('nothing was written');
    expect(e.remedy).toBe(`choose a new or empty --out folder, or delete ${join(out, 'a')} yourself if you no longer need it`);
    expect(readdirSync(out).sort()).toStrictEqual(before);
  });

  it('names every folder it refuses', () => {
    const out = fresh();
    for (const d of ['a', 'b']) {
      mkdirSync(join(out, d), { recursive: true });
      writeFileSync(join(out, d, 'keep.txt'), 'mine\n');
    }
    const e = refusal(() => writeGenerated(out, [A, B]));
    expect(e.message).toContain(join(out, 'a'));
    expect(e.message).toContain(join(out, 'b'));
    expect(e.remedy).toContain(`delete ${join(out, 'a')} and ${join(out, 'b')} yourself`);
  });

  it('clears its own siblings left by an interrupted run, and refuses a sibling that is not its own', () => {
    const out = fresh();
    writeGenerated(out, [A]);
    // interrupted between the two renames: the old folder aside, the new one complete beside it
    mkdirSync(join(out, '.a.streampulse-new'));
    writeFileSync(join(out, '.a.streampulse-new', GENERATED_MARKER), 'a\n');
    mkdirSync(join(out, '.a.streampulse-old'));
    writeGenerated(out, [A]);
    expect(readdirSync(out).sort()).toStrictEqual(['a']);
    mkdirSync(join(out, '.a.streampulse-new'));
    writeFileSync(join(out, '.a.streampulse-new', 'keep.txt'), 'mine\n');
    expect(refusal(() => writeGenerated(out, [A])).code).toBe('GENERATE_FOLDER_NOT_OURS');
    expect(existsSync(join(out, '.a.streampulse-new', 'keep.txt'))).toBe(true);
  });

  it('a file system that refuses the write is a user error with the path, not a crash', () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(join(out, 'file'), 'x\n');
    expect(refusal(() => writeGenerated(join(out, 'file'), [A])).code).toBe('GENERATE_OUT_NOT_A_FOLDER');
    const e = refusal(() => writeGenerated(join(out, 'file', 'below'), [A]));
    expect([e.code, e.message]).toStrictEqual(['GENERATE_CANNOT_WRITE', `cannot write ${join(out, 'file', 'below')} (ENOTDIR)`]);
    expect(readdirSync(out)).toStrictEqual(['file']);
  });

  it('a generator path outside its folder, or the marker itself, is a bug', () => {
    const out = fresh();
    for (const bad of ['../x', '/x', 'a//b', GENERATED_MARKER])
      expect(() => writeGenerated(out, [{ ...A, files: { [bad]: '' } }])).toThrow(/is not a relative path inside its folder/);
    expect(existsSync(out)).toBe(false);
  });
});
