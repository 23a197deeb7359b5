/**
 * The folder ownership every folder-writing command shares (rehearsal/src/folders.ts):
 * states, refusals that touch nothing, replace and keep, the demo lake's marker, and
 * file-system failures as user errors — including a path under /proc, where Node's own
 * recursive mkdir never returns.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import { folderState, GENERATED_MARKER, generatedOwner, LAKE_MARKER, LAKE_OWNER, makeDirs, ownFolder, SOURCES_OWNER } from '@streampulse/rehearsal';

const TMP = mkdtempSync(join(tmpdir(), 'sp-folders-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(TMP, `case-${n++}`);
const thrown = (f: () => unknown): StreamPulseError => {
  try {
    f();
  } catch (e) {
    if (e instanceof StreamPulseError) return e;
    throw e;
  }
  throw new Error('nothing was thrown');
};

describe('folder ownership', () => {
  it('creates an absent or empty folder with its marker, replaces its own, keeps its own when asked', () => {
    const dir = fresh();
    expect(ownFolder(join(dir, 'a', 'b'), SOURCES_OWNER)).toBe('absent');
    expect(readFileSync(join(dir, 'a', 'b', GENERATED_MARKER), 'utf8').split('\n')[0]).toBe('sources');
    mkdirSync(join(dir, 'empty'));
    expect(ownFolder(join(dir, 'empty'), SOURCES_OWNER)).toBe('empty');
    writeFileSync(join(dir, 'a', 'b', 'old.txt'), 'old\n');
    expect(ownFolder(join(dir, 'a', 'b'), SOURCES_OWNER, 'keep')).toBe('ours');
    expect(readdirSync(join(dir, 'a', 'b')).sort()).toStrictEqual([GENERATED_MARKER, 'old.txt']);
    expect(ownFolder(join(dir, 'a', 'b'), SOURCES_OWNER)).toBe('ours');
    expect(readdirSync(join(dir, 'a', 'b'))).toStrictEqual([GENERATED_MARKER]);
  });

  it.each([
    [
      'a folder without the marker',
      (d: string) => {
        mkdirSync(d);
        writeFileSync(join(d, 'keep.txt'), 'mine\n');
      },
      `is not empty and was not written by streampulse sources generate (no ${GENERATED_MARKER} file)`,
    ],
    [
      'another owner’s marker',
      (d: string) => {
        mkdirSync(d);
        writeFileSync(join(d, GENERATED_MARKER), 'sql\n');
      },
      "carries the marker of 'sql', not 'sources'",
    ],
    ['a file', (d: string) => writeFileSync(d, 'mine\n'), 'is a file, not a folder'],
    [
      'a symbolic link',
      (d: string) => {
        mkdirSync(`${d}-real`);
        symlinkSync(`${d}-real`, d);
      },
      'is a symbolic link',
    ],
  ])('refuses %s, touching nothing', (_what, make, why) => {
    const dir = fresh();
    mkdirSync(dir);
    make(join(dir, 'x'));
    const before = readdirSync(dir).sort();
    const e = thrown(() => ownFolder(join(dir, 'x'), SOURCES_OWNER));
    expect([e.code, e.message]).toStrictEqual([
      'SOURCES_FOLDER_NOT_OURS',
      `${join(dir, 'x')} ${why}; sources generate only replaces folders it wrote, so nothing was written`,
    ]);
    expect(e.remedy).toBe(`choose a new or empty --out folder, or delete ${join(dir, 'x')} yourself if you no longer need it`);
    expect(readdirSync(dir).sort()).toStrictEqual(before);
    if (existsSync(join(dir, 'x', 'keep.txt'))) expect(readFileSync(join(dir, 'x', 'keep.txt'), 'utf8')).toBe('mine\n');
  });

  it("the demo's lake: its marker's presence is the claim (lakes made before the marker named an owner stay the demo's)", () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, LAKE_MARKER), 'A StreamPulse local lake. `streampulse demo` may delete and recreate this folder.\n');
    writeFileSync(join(dir, 'old.txt'), 'x\n');
    expect(folderState(dir, LAKE_OWNER)).toStrictEqual({ kind: 'ours' });
    expect(ownFolder(dir, LAKE_OWNER)).toBe('ours');
    expect(readdirSync(dir)).toStrictEqual([LAKE_MARKER]);
    const other = fresh();
    mkdirSync(other);
    writeFileSync(join(other, GENERATED_MARKER), 'sources\n');
    expect(thrown(() => ownFolder(other, LAKE_OWNER)).code).toBe('LAKE_NOT_OURS');
  });

  it('a file system that refuses is a user error with the path and the fix, at once (ENOTDIR; /proc; /sys or a read-only folder)', () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, 'file'), 'x\n');
    const notDir = thrown(() => ownFolder(join(dir, 'file', 'below'), SOURCES_OWNER));
    expect([notDir.code, notDir.message]).toStrictEqual(['SOURCES_CANNOT_WRITE', `cannot write ${join(dir, 'file', 'below')} (ENOTDIR)`]);
    expect(notDir.remedy).toBe('a part of the path is a file, not a folder: pass --out a path made of folders');
    // Node's mkdirSync(…, { recursive: true }) spins forever here; makeDirs makes one folder at a time
    const t0 = Date.now();
    const proc = thrown(() => ownFolder('/proc/streampulse-test/out', SOURCES_OWNER));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect([proc.code, proc.message]).toStrictEqual(['SOURCES_CANNOT_WRITE', 'cannot write /proc/streampulse-test (ENOENT)']);
    expect(proc.remedy).toContain('such as anything under /proc');
    expect(() => makeDirs('/proc/streampulse-test')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    // read-only: root may write anywhere but sysfs (EPERM); anyone else meets a folder without write permission (EACCES)
    const root = process.getuid?.() === 0;
    const target = root ? '/sys/streampulse-test' : join(dir, 'ro', 'x');
    if (!root) mkdirSync(join(dir, 'ro'), { mode: 0o555 });
    const ro = thrown(() => ownFolder(target, generatedOwner('bench', 'bench', { notOurs: 'BENCH_FOLDER_NOT_OURS', cannotWrite: 'BENCH_CANNOT_WRITE' })));
    expect([ro.code, ro.message]).toStrictEqual(['BENCH_CANNOT_WRITE', `cannot write ${target} (${root ? 'EPERM' : 'EACCES'})`]);
    expect(ro.remedy).toContain('you may not write there');
  });
});
