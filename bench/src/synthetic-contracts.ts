/**
 * Synthetic dataset contracts for the scale benchmark of `streampulse generate` (issue 22):
 * `n` dataset contracts as YAML texts, deterministic for a seed, that the real loader
 * validates — varied columns and types, PII columns (pseudonymised, dropped, kept), quality
 * rules of every kind including referential rules to other synthetic datasets, daily and
 * hourly schedules, CSV and JSONL sources, SCD1 and SCD2 silver. Datasets only: the gold
 * models, marts, metrics and dashboard are the shipped ones (`baseDir`) — a handful per
 * factory, not thousands; the scale that matters is the per-dataset fan-out of the
 * loader's cross-checks and the generators.
 *
 * `writeSyntheticContracts` writes them into a folder so the benchmark measures the
 * loader reading and validating files, as `streampulse generate` does.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

/** A deterministic pseudo-random stream for a seed (mulberry32 over a SHA-256-derived state). */
function rng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DOMAINS = ['billing', 'content', 'marketing', 'product', 'support', 'finance', 'identity', 'devices'] as const;
const PII = [
  { class: 'email', policy: 'pseudonymise' },
  { class: 'ip_address', policy: 'drop' },
  { class: 'person_name', policy: 'drop' },
  { class: 'device_id', policy: 'pseudonymise' },
  { class: 'postal_address', policy: 'keep' },
] as const;

/** The name of the i-th synthetic dataset (0-based), zero-padded so files sort by index. */
export function syntheticDatasetName(i: number): string {
  return `synth_${String(i).padStart(5, '0')}`;
}

/** One synthetic dataset contract's YAML text. Dataset i may reference datasets 0..i-1 only. */
export function syntheticDatasetYaml(i: number, seed: string): string {
  const r = rng(`${seed}:${i}`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const name = syntheticDatasetName(i);
  const hourly = r() < 0.3;
  const csv = r() < 0.4;
  const id = `${name}_id`;
  const lines: string[] = [
    `dataset: ${name}`,
    `version: 1.${i % 7}.0`,
    `owner: team-${i % 40}@synthetic.example`,
    `domain: ${pick(DOMAINS)}`,
    `description: Synthetic dataset ${i} of the scale benchmark (seed ${seed}).`,
    'source:',
    `  system: synthetic-system-${i % 25}`,
    `  format: ${csv ? 'csv' : 'jsonl'}`,
    `  landing_path: synthetic/${name}/{date}/${name}.${csv ? 'csv' : 'jsonl'}`,
    `  schedule: ${hourly ? 'hourly' : 'daily'}`,
    ...(csv ? ['  csv:', '    delimiter: ","', '    header: true'] : []),
    'sla:',
    `  freshness_hours: ${hourly ? 3 : 26}`,
    `  completeness_pct: ${hourly ? 97 : 100}`,
    `primary_key: [${id}]`,
    'event_time: updated_at',
    'watermark:',
    `  max_delay_hours: ${hourly ? 6 : 48}`,
    'columns:',
    `  - name: ${id}`,
    '    type: string',
    '    required: true',
    '    description: Identifier of the row.',
    '    constraints:',
    '      max_length: 64',
  ];
  const quality: string[] = [`  - name: ${name}_row_not_duplicated`, '    rule: unique', `    columns: [${id}]`, '    action: quarantine'];
  // Referential columns: up to 3 earlier datasets.
  const refs = i === 0 ? 0 : Math.min(i, Math.floor(r() * 4));
  const referenced = new Set<number>();
  for (let k = 0; k < refs; k++) referenced.add(Math.floor(r() * i));
  for (const j of [...referenced].sort((a, b) => a - b)) {
    const other = syntheticDatasetName(j);
    const col = `${other}_id`;
    lines.push(`  - name: ${col}`, '    type: string', '    description: The referenced row.', '    constraints:', '      max_length: 64');
    quality.push(
      `  - name: ${other}_exists`,
      '    rule: referential',
      `    column: ${col}`,
      '    references:',
      `      dataset: ${other}`,
      `      column: ${col}`,
      `    action: ${r() < 0.5 ? 'quarantine' : 'warn'}`,
    );
  }
  const extra = 3 + Math.floor(r() * 12);
  const tracked: string[] = [];
  const conform: string[] = [];
  for (let c = 0; c < extra; c++) {
    const col = `attr_${c}`;
    const kind = Math.floor(r() * 7);
    const required = r() < 0.5;
    const head = [`  - name: ${col}`];
    if (kind === 0) {
      lines.push(
        ...head,
        '    type: integer',
        `    required: ${required}`,
        '    description: A count.',
        '    constraints:',
        '      min: 0',
        '      max: 100000',
      );
      quality.push(`  - name: ${col}_in_range`, '    rule: range', `    column: ${col}`, '    min: 0', '    max: 100000', '    action: warn');
    } else if (kind === 1) {
      lines.push(...head, '    type: decimal(12,2)', `    required: ${required}`, '    description: An amount.');
      tracked.push(col);
    } else if (kind === 2) {
      lines.push(...head, '    type: boolean', `    required: ${required}`, '    description: A flag.');
    } else if (kind === 3) {
      lines.push(...head, '    type: date', `    required: ${required}`, '    description: A calendar day.');
    } else if (kind === 4) {
      lines.push(
        ...head,
        '    type: string',
        `    required: ${required}`,
        '    description: A category.',
        '    constraints:',
        '      accepted_values: [a, b, c, d]',
      );
      quality.push(`  - name: ${col}_known`, '    rule: accepted_values', `    column: ${col}`, '    values: [a, b, c, d]', '    action: quarantine');
      conform.push(`    - column: ${col}`, '      trim: true', '      case: lower');
    } else if (kind === 5) {
      const pii = pick(PII);
      lines.push(
        ...head,
        '    type: string',
        '    description: A personal value.',
        '    pii:',
        `      class: ${pii.class}`,
        `      policy: ${pii.policy}`,
        '    constraints:',
        '      max_length: 256',
      );
    } else {
      lines.push(...head, '    type: double', `    required: ${required}`, '    description: A measure.');
    }
  }
  lines.push('  - name: updated_at', '    type: timestamp', '    required: true', '    description: UTC instant the row last changed.');
  quality.push(`  - name: ${name}_fresh`, '    rule: freshness', `    max_age_hours: ${hourly ? 6 : 72}`, '    action: warn');
  lines.push('quality:', ...quality, 'silver:', '  dedupe:', `    key: [${id}]`, '    order_by:', '      - column: updated_at', '        direction: desc');
  if (conform.length > 0) lines.push('  conform:', ...conform);
  if (tracked.length > 0 && r() < 0.3) lines.push('  scd:', '    type: 2', `    tracked_columns: [${tracked.join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

/** `n` synthetic dataset contracts: file name (datasets/<name>.yaml) → YAML text. */
export function syntheticContractFiles(n: number, seed = 'streampulse'): { file: string; text: string }[] {
  return Array.from({ length: n }, (_, i) => ({ file: `datasets/${syntheticDatasetName(i)}.yaml`, text: syntheticDatasetYaml(i, seed) }));
}

/**
 * Writes `n` synthetic dataset contracts under `dir` (datasets/<name>.yaml); returns their
 * count. `baseDir` (the shipped contracts) is copied first: a contract set needs its metrics,
 * models, marts and dashboard, which the synthetic datasets sit beside.
 */
export function writeSyntheticContracts(dir: string, n: number, seed = 'streampulse', baseDir?: string): number {
  if (baseDir !== undefined) cpSync(baseDir, dir, { recursive: true });
  mkdirSync(join(dir, 'datasets'), { recursive: true });
  const files = syntheticContractFiles(n, seed);
  for (const f of files) writeFileSync(join(dir, f.file), f.text);
  return files.length;
}
