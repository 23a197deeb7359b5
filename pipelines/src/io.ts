/** Reading and writing a factory folder (Data Factory's git layout). I/O lives here, at the edge. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import { ENTITY_FOLDERS, factoryFileText, type AdfFactory } from './generate.js';

/** Reads every `*.json` under the entity folders (and `control/`) of `dir`. Unparseable files throw with the file name. */
export function readFactoryDir(dir: string): Record<string, unknown> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new StreamPulseError('ADF_DIR_MISSING', `${dir} is not a folder`, {
      remedy: 'pass the adf/ folder written by `streampulse adf generate --out DIR` (DIR/adf)',
    });
  const files: Record<string, unknown> = {};
  for (const folder of [...ENTITY_FOLDERS, 'control']) {
    const sub = join(dir, folder);
    if (!existsSync(sub)) continue;
    for (const name of readdirSync(sub).sort()) {
      if (!name.endsWith('.json')) continue;
      const text = readFileSync(join(sub, name), 'utf8');
      try {
        files[`${folder}/${name}`] = JSON.parse(text) as unknown;
      } catch (e) {
        throw new StreamPulseError('ADF_BAD_JSON', `${folder}/${name} is not valid JSON: ${(e as Error).message}`, {
          remedy: 'fix the JSON syntax of that file',
        });
      }
    }
  }
  if (!Object.keys(files).some((f) => f.startsWith('pipeline/')))
    throw new StreamPulseError('ADF_DIR_EMPTY', `${dir} has no pipeline/*.json`, {
      remedy: 'pass the adf/ folder of a factory in git layout (factory/, linkedService/, dataset/, pipeline/, trigger/)',
    });
  return files;
}

/** Writes the factory to `dir` (replacing its entity folders), each file atomically. */
export function writeFactoryDir(dir: string, factory: AdfFactory): string[] {
  for (const folder of [...ENTITY_FOLDERS, 'control']) rmSync(join(dir, folder), { recursive: true, force: true });
  const written: string[] = [];
  for (const [path, value] of Object.entries(factory.files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.tmp`, factoryFileText(value));
    renameSync(`${target}.tmp`, target);
    written.push(path);
  }
  return written;
}
