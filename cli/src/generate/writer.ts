/**
 * The one writer of generated folders. Each target's folder under --out is owned through a
 * marker file (`.streampulse-generated`, holding the target's name), as the demo owns its
 * lake through `.streampulse-lake`:
 *   - a folder that is absent or empty is created;
 *   - a folder that carries the marker of the same target is replaced: the new files are
 *     written to a sibling (`.<folder>.streampulse-new`), the old folder is renamed aside
 *     (`.<folder>.streampulse-old`), the new one renamed into place, the old one removed —
 *     a crash leaves the old or the new folder (a later run clears both siblings);
 *   - anything else (a folder without the marker, another target's marker, a file, a
 *     symbolic link) is refused with GENERATE_FOLDER_NOT_OURS before anything is written.
 * Every folder is checked before the first is written, so a refusal touches nothing.
 * The marker is the writer's, not part of any target's file map. The ownership rules, the
 * refusal and the file-system errors are the ones every folder-writing command shares
 * (`@streampulse/rehearsal`'s folders.ts); only the swap through siblings is this writer's.
 */
import { mkdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import {
  errnoCode,
  fileSystemError,
  folderState,
  GENERATED_MARKER,
  generatedOwner,
  makeDirs,
  notOursError,
  type FolderOwner,
  type FolderState,
} from '@streampulse/rehearsal';

export { GENERATED_MARKER };

/** The owner of a target's folder: the shared ownership rules (`@streampulse/rehearsal` folders.ts) with the target's name. */
export function targetOwner(target: string): FolderOwner {
  return generatedOwner(target, 'generate', { notOurs: 'GENERATE_FOLDER_NOT_OURS', cannotWrite: 'GENERATE_CANNOT_WRITE' }, { ownerKind: 'target' });
}

/** The marker's text: the target's name on the first line, then what the file means. */
export function markerText(target: string): string {
  return targetOwner(target).text;
}

/** One folder to write: the target that owns it, its name under --out, its files (relative POSIX path → text). */
export interface FolderFiles {
  readonly target: string;
  readonly folder: string;
  readonly files: Readonly<Record<string, string>>;
}

export interface WrittenFolder {
  readonly target: string;
  /** The folder's absolute path. */
  readonly dir: string;
  /** The files written, relative to `dir`, in the file map's order (the marker not included). */
  readonly files: readonly string[];
}

/** A generator's path must stay inside its folder and not be the marker: a bug otherwise. */
function checkFiles(f: FolderFiles): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(f.folder)) throw new Error(`generate target '${f.target}': folder '${f.folder}' is not one plain path segment`);
  for (const path of Object.keys(f.files)) {
    const segments = path.split('/');
    if (path.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..') || path === GENERATED_MARKER)
      throw new Error(`generate target '${f.target}': file path '${path}' is not a relative path inside its folder (or is the marker)`);
  }
}

const siblings = (out: string, folder: string): { fresh: string; old: string } => ({
  fresh: join(out, `.${folder}.streampulse-new`),
  old: join(out, `.${folder}.streampulse-old`),
});

/**
 * Writes each folder under `out` (created when absent), replacing only folders that carry
 * the same target's marker; refuses, touching nothing, when any folder is not ours.
 */
export function writeGenerated(out: string, folders: readonly FolderFiles[]): WrittenFolder[] {
  for (const f of folders) checkFiles(f);
  if (new Set(folders.map((f) => f.folder)).size !== folders.length) throw new Error('two generate targets share a folder');
  try {
    let outIsFolder = false;
    try {
      outIsFolder = statSync(out).isDirectory();
      if (!outIsFolder)
        throw new StreamPulseError('GENERATE_OUT_NOT_A_FOLDER', `--out ${out} is a file, not a folder; nothing was written`, {
          remedy: 'pass --out a new or empty folder',
        });
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    // every folder (and the siblings of an interrupted run) checked before anything is written
    const states = new Map<string, FolderState>();
    const refused: { path: string; why: string }[] = [];
    for (const f of folders) {
      const dir = join(out, f.folder);
      const state = outIsFolder ? folderState(dir, targetOwner(f.target)) : ({ kind: 'absent' } as const);
      states.set(f.folder, state);
      if (state.kind === 'foreign') refused.push({ path: dir, why: state.why });
      if (!outIsFolder) continue;
      for (const sibling of Object.values(siblings(out, f.folder))) {
        const s = folderState(sibling, targetOwner(f.target));
        if (s.kind === 'foreign') refused.push({ path: sibling, why: s.why });
      }
    }
    // every refusal names the folder and the fix; the owner is the first refused target's (the code and wording are shared)
    if (refused.length > 0) throw notOursError(targetOwner(folders[0]!.target), refused);
    makeDirs(out);
    return folders.map((f) => replaceFolder(out, f, states.get(f.folder)!));
  } catch (e) {
    if (e instanceof StreamPulseError || errnoCode(e) === undefined) throw e;
    throw fileSystemError(e, out, 'GENERATE_CANNOT_WRITE', '--out');
  }
}

/** Writes the new folder beside the old one, then swaps them. */
function replaceFolder(out: string, f: FolderFiles, state: FolderState): WrittenFolder {
  const dir = join(out, f.folder);
  const { fresh, old } = siblings(out, f.folder);
  // leftovers of an interrupted run: ours (checked), so removed
  rmSync(fresh, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
  const written: string[] = [];
  try {
    mkdirSync(fresh);
    writeFileSync(join(fresh, GENERATED_MARKER), targetOwner(f.target).text);
    // each subfolder made once (thousands of files share a few folders), not once per file
    const made = new Set<string>([fresh]);
    for (const [path, text] of Object.entries(f.files)) {
      const file = join(fresh, path);
      const parent = dirname(file);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      writeFileSync(file, text);
      written.push(path);
    }
  } catch (e) {
    rmSync(fresh, { recursive: true, force: true });
    throw e;
  }
  if (state.kind === 'empty')
    rmdirSync(dir); // only ever removes an empty folder
  else if (state.kind === 'ours') renameSync(dir, old);
  renameSync(fresh, dir);
  rmSync(old, { recursive: true, force: true });
  return { target: f.target, dir, files: written };
}
