/**
 * generateSources: the seeded, deterministic daily landing files for every dataset
 * contract, with the defects of `defects.ts` and a manifest (`_manifest.json`) of
 * every file and every injected defect. I/O lives here; the world, the generic rows
 * and the defects are pure given their Rng.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import {
  DEFAULT_DEFECT_RATES,
  DEFECT_KINDS,
  injectDefects,
  keyOf,
  planDefects,
  type DefectKind,
  type DefectRates,
  type InjectedDefect,
  type Line,
} from './defects.js';
import { GenericDataset, poolKey, type PoolValue } from './generic.js';
import { Rng } from './rng.js';
import { csvHeader, landingPathFor } from './write.js';
import { DATASET_BINDINGS } from './world/bindings.js';
import { World, type SourceRecord } from './world/simulate.js';

export interface GenerateOptions {
  /** The landing folder: files go to `<outDir>/<landing_path with the date>`. */
  readonly outDir: string;
  readonly users: number;
  readonly days: number;
  /** First day, YYYY-MM-DD. */
  readonly startDate: string;
  readonly seed: string | number;
  /** Defect rates; missing kinds take the defaults. `false` generates clean files. */
  readonly defects?: Partial<DefectRates> | false;
  readonly onProgress?: (e: { day: number; days: number; date: string; rows: number; bytes: number }) => void;
}

export interface ManifestFile {
  readonly dataset: string;
  readonly batch: string;
  readonly file: string;
  /** Data lines in the file (a CSV header is not a row). */
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly relanded_copy_of?: string;
}

export interface Manifest {
  readonly generator: '@streampulse/sources';
  readonly format_version: 1;
  readonly seed: string;
  readonly users: number;
  readonly days: number;
  readonly start_date: string;
  readonly end_date: string;
  readonly dates: readonly string[];
  readonly defect_rates: DefectRates;
  readonly datasets: readonly { dataset: string; source: 'simulation' | 'generic'; rows: number; bytes: number }[];
  readonly files: readonly ManifestFile[];
  readonly defects: readonly InjectedDefect[];
  readonly defect_counts: Readonly<Record<string, number>>;
}

export const MANIFEST_FILE = '_manifest.json';
/** Defects whose row is quarantined in the batch it lands in. */
const NOT_IN_SILVER_TODAY = new Set<DefectKind>(['malformed', 'wrong_type', 'null_key', 'out_of_range']);
/** Defects whose row lands on a later day (its key is not in today's silver). */
const MOVED = new Set<DefectKind>(['late_within_watermark', 'late_beyond_watermark']);
const DAY = 86_400_000;

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function validate(opts: GenerateOptions): void {
  const bad = (field: string, why: string, remedy: string): never => {
    throw new StreamPulseError('GENERATE_BAD_OPTION', `${field}: ${why}`, { remedy });
  };
  if (!Number.isInteger(opts.users) || opts.users < 1) bad('--users', `must be a positive integer, got ${opts.users}`, 'pass --users N with N ≥ 1');
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 3660) bad('--days', `must be an integer from 1 to 3660, got ${opts.days}`, 'pass --days D');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.startDate) || Number.isNaN(Date.parse(`${opts.startDate}T00:00:00Z`)))
    bad('--start', `"${opts.startDate}" is not a YYYY-MM-DD date`, 'pass --start YYYY-MM-DD');
  if (opts.defects)
    for (const [k, v] of Object.entries(opts.defects)) {
      if (k !== 'relanded_files' && !(DEFECT_KINDS as readonly string[]).includes(k))
        bad(`defect "${k}"`, 'is not a known defect kind', `use one of: ${DEFECT_KINDS.join(', ')}, relanded_files`);
      if (typeof v !== 'number' || v < 0 || (k !== 'relanded_files' && v > 0.2))
        bad(`defect "${k}"`, `rate ${String(v)} is out of range`, 'rates are per-row probabilities from 0 to 0.2; relanded_files is a count');
    }
}

/** Datasets in name order, except that a referenced dataset comes before those referencing it (keys exist first). */
function parentsFirst(set: ContractSet): ContractSet['datasets'][number][] {
  const byName = new Map(set.datasets.map((d) => [d.dataset, d]));
  const out: ContractSet['datasets'][number][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    const d = byName.get(name);
    if (!d || state.get(name) !== undefined) return;
    state.set(name, 'visiting');
    for (const q of d.quality) if (q.rule === 'referential' && q.references.dataset !== name) visit(q.references.dataset);
    state.set(name, 'done');
    out.push(d);
  };
  for (const name of [...byName.keys()].sort()) visit(name);
  return out;
}

export function generateSources(set: ContractSet, opts: GenerateOptions): Manifest {
  validate(opts);
  const seed = String(opts.seed);
  const rates: DefectRates =
    opts.defects === false
      ? (Object.fromEntries(Object.keys(DEFAULT_DEFECT_RATES).map((k) => [k, 0])) as DefectRates)
      : { ...DEFAULT_DEFECT_RATES, ...(opts.defects ?? {}) };
  const world = new World({ users: opts.users, days: opts.days, startDate: opts.startDate, seed });
  const datasets = parentsFirst(set);
  const plans = planDefects(set);
  const root = new Rng(`streampulse-sources:${seed}`);
  const start = Date.parse(`${opts.startDate}T00:00:00Z`);
  const dateOf = (d: number): string => new Date(start + d * DAY).toISOString().slice(0, 10);
  const carried = new Map<string, Line[]>();
  const files: ManifestFile[] = [];
  const defects: InjectedDefect[] = [];
  // values of every column a referential rule points at, as generated so far: generic
  // rows reference them (bound datasets come from the world and never read the pool)
  const keyPool = new Map<string, PoolValue[]>();
  const referenced = new Map<string, string[]>();
  for (const d of set.datasets)
    for (const q of d.quality)
      if (q.rule === 'referential') {
        const cols = referenced.get(q.references.dataset) ?? [];
        if (!cols.includes(q.references.column)) cols.push(q.references.column);
        referenced.set(q.references.dataset, cols);
      }
  const generic = new Map<string, GenericDataset>();
  const genericFor = (ds: (typeof datasets)[number]): GenericDataset => {
    let g = generic.get(ds.dataset);
    if (g === undefined) {
      g = new GenericDataset(ds, root.fork(`generic:${ds.dataset}`));
      generic.set(ds.dataset, g);
    }
    return g;
  };
  const perDataset = new Map(datasets.map((d) => [d.dataset, { rows: 0, bytes: 0 }]));

  for (let day = 0; day < opts.days; day++) {
    const today = world.step();
    let dayRows = 0;
    let dayBytes = 0;
    for (const ds of datasets) {
      const kind = DATASET_BINDINGS[ds.dataset];
      const records: SourceRecord[] =
        kind !== undefined
          ? today[kind]
          : genericFor(ds).rows(root.fork(`generic:${ds.dataset}:${day}`), start + day * DAY, Math.max(1, Math.round(opts.users / 20)), keyPool);
      const plan = plans.get(ds.dataset)!;
      const defectsBefore = defects.length;
      const lines = injectDefects(
        {
          rng: root.fork(`defects:${ds.dataset}:${day}`),
          rates,
          plan,
          ds,
          dayIndex: day,
          days: opts.days,
          dateOf,
          fileOf: (d) => landingPathFor(ds, dateOf(d)),
          dayStart: (d) => start + d * DAY,
          carry: (d, line) => {
            const k = `${ds.dataset}@${d}`;
            const list = carried.get(k) ?? [];
            list.push(line);
            carried.set(k, list);
          },
          record: (x) => defects.push(x),
        },
        records,
      );
      const late = carried.get(`${ds.dataset}@${day}`) ?? [];
      carried.delete(`${ds.dataset}@${day}`);
      const all = [...lines, ...late];
      const rel = landingPathFor(ds, dateOf(day));
      const text =
        (ds.source.format === 'csv' && (ds.source.csv?.header ?? true) ? [csvHeader(ds), ...all.map((l) => l.text)] : all.map((l) => l.text)).join('\n') +
        (all.length > 0 || ds.source.format === 'csv' ? '\n' : '');
      writeAtomic(join(opts.outDir, rel), text);
      const bytes = Buffer.byteLength(text);
      files.push({ dataset: ds.dataset, batch: dateOf(day), file: rel, rows: all.length, bytes, sha256: createHash('sha256').update(text).digest('hex') });
      const agg = perDataset.get(ds.dataset)!;
      agg.rows += all.length;
      agg.bytes += bytes;
      dayRows += all.length;
      dayBytes += bytes;
      // a row a defect keeps out of today's silver (unparseable, moved to a later day, …)
      // is no parent for today's references
      const gone = new Set(defects.slice(defectsBefore).flatMap((x) => (NOT_IN_SILVER_TODAY.has(x.kind) && x.batch === dateOf(day) ? [x.key] : [])));
      for (const x of defects.slice(defectsBefore)) if (MOVED.has(x.kind)) gone.add(x.key);
      for (const col of referenced.get(ds.dataset) ?? []) {
        const k = poolKey(ds.dataset, col);
        const pool = keyPool.get(k) ?? [];
        for (const r of records) {
          const v = r[col];
          if (v !== null && v !== undefined && !gone.has(keyOf(ds, r))) pool.push(v);
        }
        if (pool.length > 5000) pool.splice(0, pool.length - 5000);
        keyPool.set(k, pool);
      }
    }
    opts.onProgress?.({ day: day + 1, days: opts.days, date: dateOf(day), rows: dayRows, bytes: dayBytes });
  }

  // whole files that the source system delivered twice, byte for byte
  const candidates = files.filter((f) => f.rows > 0);
  const pickRng = root.fork('relanded');
  const relanded: ManifestFile[] = [];
  for (let i = 0; i < Math.min(rates.relanded_files, candidates.length); i++) {
    const f = candidates[pickRng.int(0, candidates.length - 1)]!;
    if (relanded.some((x) => x.relanded_copy_of === f.file)) continue;
    const copy = f.file.replace(/(\.[a-z]+)$/, '_relanded$1');
    copyFileSync(join(opts.outDir, f.file), join(opts.outDir, copy));
    relanded.push({ ...f, file: copy, relanded_copy_of: f.file });
    defects.push({
      kind: 'relanded_file',
      dataset: f.dataset,
      batch: f.batch,
      file: copy,
      key: '*',
      detail: `${f.rows} rows, identical to ${f.file}`,
      expect: { outcome: 'duplicate', counter: 'relanded_file_rows' },
    });
    perDataset.get(f.dataset)!.rows += f.rows;
    perDataset.get(f.dataset)!.bytes += f.bytes;
  }

  const counts: Record<string, number> = {};
  for (const k of [...DEFECT_KINDS, 'relanded_file' as DefectKind]) counts[k] = defects.filter((d) => d.kind === k).length;
  const order = (a: InjectedDefect, b: InjectedDefect): number =>
    a.batch.localeCompare(b.batch) || a.dataset.localeCompare(b.dataset) || a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key);
  const manifest: Manifest = {
    generator: '@streampulse/sources',
    format_version: 1,
    seed,
    users: opts.users,
    days: opts.days,
    start_date: opts.startDate,
    end_date: dateOf(opts.days - 1),
    dates: Array.from({ length: opts.days }, (_, d) => dateOf(d)),
    defect_rates: rates,
    datasets: datasets.map((d) => ({
      dataset: d.dataset,
      source: DATASET_BINDINGS[d.dataset] !== undefined ? 'simulation' : 'generic',
      ...perDataset.get(d.dataset)!,
    })),
    files: [...files, ...relanded].sort((a, b) => a.file.localeCompare(b.file)),
    defects: defects.sort(order),
    defect_counts: counts,
  };
  writeAtomic(join(opts.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}
