/**
 * Folder ownership: every command that writes a folder owns it through a marker file in
 * it (`generate`, `adf generate`, `sql generate`: `.streampulse-generated` holding the
 * target's name; `sources generate`, `dashboard build`, `bench`: the same file holding
 * their own name; `demo`: `.streampulse-lake`). The rule is the same for all:
 *   - a folder that is absent or empty is created (and marked);
 *   - a folder that carries the owner's marker is replaced (or, for `bench`, kept: it
 *     holds a cache the command manages);
 *   - anything else (a folder without the marker, another owner's marker, a file, a
 *     symbolic link) is refused with the owner's NOT_OURS error before anything is
 *     written: the refusal touches nothing.
 * A file-system failure (EACCES, ENOTDIR, EROFS, ENOSPC, …) is a user error naming the path,
 * never a crash. Folders are created one level at a time (`makeDirs`): Node's recursive
 * mkdir never returns for a path under /proc (the file system answers ENOENT for a child
 * of a folder that exists, and the recursion retries forever at 100% CPU).
 */
import { type Stats, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';

/** The marker of folders written by `generate` (one per target), `sources generate`, `dashboard build` and `bench`. */
export const GENERATED_MARKER = '.streampulse-generated';

/** Who owns a folder, and how it says so. */
export interface FolderOwner {
  /** The marker file inside the folder. */
  readonly marker: string;
  /** The name on the marker's first line, required there; undefined: the marker's presence is the claim (the demo's lake). */
  readonly owner?: string;
  /** What an owner is called in a refusal (`target` → "carries the marker of target 'b', not 'a'"). */
  readonly ownerKind?: string;
  /** The command that writes the folder, without `streampulse` (e.g. `sources generate`). */
  readonly command: string;
  /** The option that names the folder, for the fix (e.g. `--out`). */
  readonly option: string;
  /** The marker's text. */
  readonly text: string;
  /** Error codes: the folder is someone else's; the file system refused. */
  readonly codes: { readonly notOurs: string; readonly cannotWrite: string };
}

/**
 * An owner whose marker is `.streampulse-generated` holding `owner` on its first line.
 * `replaces` says what happens to a marked folder, in the marker's own words.
 */
export function generatedOwner(
  owner: string,
  command: string,
  codes: FolderOwner['codes'],
  extra: { readonly ownerKind?: string; readonly option?: string; readonly replaces?: string } = {},
): FolderOwner {
  return {
    marker: GENERATED_MARKER,
    owner,
    command,
    option: extra.option ?? '--out',
    codes,
    text: `${owner}\nWritten by \`streampulse ${command}\`, which ${extra.replaces ?? 'deletes and rewrites this folder on every run'}. Remove this file to keep it from being replaced.\n`,
    ...(extra.ownerKind !== undefined ? { ownerKind: extra.ownerKind } : {}),
  };
}

/** `streampulse sources generate --out DIR` (and the demo's `<lake>/landing`). */
export const SOURCES_OWNER = generatedOwner('sources', 'sources generate', { notOurs: 'SOURCES_FOLDER_NOT_OURS', cannotWrite: 'SOURCES_CANNOT_WRITE' });
/** `streampulse dashboard build --out DIR` (and the demo's `<lake>/dashboard`). */
export const DASHBOARD_OWNER = generatedOwner('dashboard', 'dashboard build', { notOurs: 'DASHBOARD_FOLDER_NOT_OURS', cannotWrite: 'DASHBOARD_WRITE_FAILED' });
/** `streampulse bench --out DIR`: kept between runs (its cached landing files). */
export const BENCH_OWNER = generatedOwner(
  'bench',
  'bench',
  { notOurs: 'BENCH_FOLDER_NOT_OURS', cannotWrite: 'BENCH_CANNOT_WRITE' },
  { replaces: 'keeps its cached landing files here and deletes and rewrites everything else in this folder' },
);

export type FolderState = { readonly kind: 'absent' | 'empty' | 'ours' } | { readonly kind: 'foreign'; readonly why: string };

/** The errno code of a Node file-system error (`ENOENT`, `EACCES`, …), else undefined. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Who owns `dir`: nobody yet (absent, empty), `o` (its marker), or someone else. File-system errors are thrown as they are. */
export function folderState(dir: string, o: FolderOwner): FolderState {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'absent' };
    throw e;
  }
  if (st.isSymbolicLink()) return { kind: 'foreign', why: 'is a symbolic link' };
  if (!st.isDirectory()) return { kind: 'foreign', why: 'is a file, not a folder' };
  const entries = readdirSync(dir);
  if (entries.length === 0) return { kind: 'empty' };
  if (!entries.includes(o.marker)) return { kind: 'foreign', why: `is not empty and was not written by streampulse ${o.command} (no ${o.marker} file)` };
  const marker = join(dir, o.marker);
  if (!lstatSync(marker).isFile()) return { kind: 'foreign', why: `has a ${o.marker} that is not a file` };
  if (o.owner === undefined) return { kind: 'ours' };
  const found = (readFileSync(marker, 'utf8').split('\n')[0] ?? '').trim();
  if (found !== o.owner)
    return { kind: 'foreign', why: `carries the marker of ${o.ownerKind === undefined ? '' : `${o.ownerKind} `}'${found}', not '${o.owner}'` };
  return { kind: 'ours' };
}

/** The refusal of folders that are not `o`'s: every one named, nothing written. */
export function notOursError(o: FolderOwner, refused: readonly { readonly path: string; readonly why: string }[]): StreamPulseError {
  const paths = refused.map((r) => r.path);
  return new StreamPulseError(
    o.codes.notOurs,
    `${refused.map((r) => `${r.path} ${r.why}`).join('; ')}; ${o.command} only replaces folders it wrote, so nothing was written`,
    {
      remedy: `choose a new or empty ${o.option} folder, or delete ${paths.join(' and ')} yourself if you no longer need ${paths.length === 1 ? 'it' : 'them'}`,
    },
  );
}

/** Why a file-system error happened, and what to do, for the fix line. */
function fsRemedy(code: string | undefined, option: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `you may not write there: check the folder's permissions, or pass ${option} a folder you can write to`;
    case 'EROFS':
      return `the file system is read-only: pass ${option} a path on a writable one`;
    case 'ENOTDIR':
      return `a part of the path is a file, not a folder: pass ${option} a path made of folders`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk is full: free some space, or pass ${option} a path on another disk`;
    case 'ENOENT':
      return `the file system does not let a folder be created there (such as anything under /proc): pass ${option} a path on a regular disk`;
    case 'EEXIST':
    case 'ELOOP':
      return `something that is not a folder is in the way (a broken symbolic link?): pass ${option} another folder`;
    default:
      return `choose an ${option} folder you can write to (check its permissions and the free space)`;
  }
}

/** A file-system failure as a user error with the path and the fix (`code`: the command's CANNOT_WRITE code). */
export function fileSystemError(e: unknown, fallbackPath: string, code: string, option: string): StreamPulseError {
  const path = (e as { path?: unknown } | null)?.path;
  const errno = errnoCode(e);
  return new StreamPulseError(code, `cannot write ${typeof path === 'string' ? path : fallbackPath} (${errno ?? 'error'})`, {
    remedy: fsRemedy(errno, option),
    cause: e,
  });
}

/**
 * `mkdir -p` that always returns: the missing folders are created one at a time, each
 * with a single mkdir, so any refusal is final and thrown (Node's `{ recursive: true }`
 * loops forever under /proc, and on a parent that is a broken symbolic link).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); ; ) {
    let st: Stats | undefined;
    try {
      st = statSync(p);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: p });
      break;
    }
    missing.push(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      // made meanwhile by someone else: fine when it is a folder now
      if (errnoCode(e) !== 'EEXIST' || !lstatSync(p).isDirectory()) throw e;
    }
  }
}

/** `makeDirs`, its failure a user error (`code`, naming `option` in the fix). */
export function ensureFolder(dir: string, code: string, option: string): void {
  try {
    makeDirs(dir);
  } catch (e) {
    if (errnoCode(e) === undefined) throw e;
    throw fileSystemError(e, dir, code, option);
  }
}

/** Refuses `dir` unless it is absent, empty or `o`'s — before a command does any work; touches nothing. */
export function checkFolder(dir: string, o: FolderOwner): FolderState {
  try {
    const state = folderState(dir, o);
    if (state.kind === 'foreign') throw notOursError(o, [{ path: dir, why: state.why }]);
    return state;
  } catch (e) {
    if (e instanceof StreamPulseError || errnoCode(e) === undefined) throw e;
    throw fileSystemError(e, dir, o.codes.cannotWrite, o.option);
  }
}

/**
 * Makes `dir` the owner's: refused (nothing touched) unless absent, empty or marked by `o`;
 * created when absent; with `replace`, the contents of a marked folder are deleted; the
 * marker is (re)written. Returns what it found.
 */
export function ownFolder(dir: string, o: FolderOwner, mode: 'replace' | 'keep' = 'replace'): FolderState['kind'] {
  const state = checkFolder(dir, o);
  try {
    if (state.kind === 'absent') makeDirs(dir);
    if (state.kind === 'ours' && mode === 'replace') for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
    if (state.kind !== 'ours' || mode === 'replace') writeFileSync(join(dir, o.marker), o.text);
    return state.kind;
  } catch (e) {
    if (errnoCode(e) === undefined) throw e;
    throw fileSystemError(e, dir, o.codes.cannotWrite, o.option);
  }
}
