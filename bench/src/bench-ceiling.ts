/**
 * The benchmark's ceiling: the least any landing → silver implementation on this engine
 * has to do — per dataset, one DuckDB statement that reads every landing file of every
 * day (the floors' globs, re-landed copies included) with the contract's columns and
 * types and writes one Parquet file. Nothing else: no record hash, no audit columns, no
 * quality rules, no quarantine, no dedupe, no batch column. Whatever the runner or a
 * floor does beyond this is the cost of its work; the report prints each side's
 * landing → silver throughput as a share of this one.
 *
 * Generated from the compiled job specs (the contracts' columns and casts), so it names
 * no dataset. The lines are read as the floors read them: JSONL as text lines
 * (bench-floor.ts's line reader), a line that is a JSON object (valid JSON whose first
 * non-blank character is `{`) is one row — a broken or blank line is none — its
 * fields taken in one `json_transform` and cast with the contract's casts (a value of
 * the wrong type is NULL); CSV through DuckDB's reader with every column as text, the
 * rows it rejects skipped, an empty field NULL, then the same casts.
 */
import { join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import type { JobPlan, JobSpec, Step } from '@streampulse/jobs';
import { quoteIdent, stringLiteral } from '@streampulse/sql';
import { JSON_WS, landingGlob, lineReader } from './bench-floor.js';

export interface CeilingStatement {
  /** The dataset (the bronze job's name). */
  readonly dataset: string;
  /** `ceiling.<dataset>`. */
  readonly label: string;
  /** The Parquet file the statement writes. */
  readonly file: string;
  readonly sql: string;
}

export interface CeilingOptions {
  /** The landing folder (holds `<landing_path>` files for every day). */
  readonly landingDir: string;
  /** Where `ceiling/<dataset>.parquet` is written. */
  readonly outDir: string;
}

const qi = (s: string): string => quoteIdent(s, 'duckdb');
const str = (s: string): string => stringLiteral(s, 'duckdb');

function step<K extends Step['op']>(spec: JobSpec, op: K): Extract<Step, { op: K }> {
  const s = spec.steps.find((x) => x.op === op) as Extract<Step, { op: K }> | undefined;
  if (!s) throw new StreamPulseError('BENCH_SPEC_INVALID', `job ${spec.id} has no "${op}" step`, { remedy: 'regenerate the job specs from the contracts' });
  return s;
}

/** The ceiling file of a dataset under a side's folder. */
export function ceilingFile(outDir: string, dataset: string): string {
  return join(outDir, 'ceiling', `${dataset}.parquet`);
}

/** One statement per dataset, in plan order: landing (all days) → typed columns → one Parquet file. */
export function ceilingScript(plan: JobPlan, o: CeilingOptions): CeilingStatement[] {
  const out: CeilingStatement[] = [];
  for (const job of plan.jobs) {
    if (job.layer !== 'bronze') continue;
    const read = step(job, 'read_landing');
    const cols = step(job, 'parse').columns;
    const glob = str(landingGlob(o.landingDir, read.path));
    const cast = (c: (typeof cols)[number], value: string): string => `${c.cast.duckdb.split('{{value}}').join(value)} AS ${qi(c.name)}`;
    let select: string;
    if (read.format === 'jsonl') {
      // every field as text in one pass over the line (json_transform: NULL where a field is missing)
      const shape = str(JSON.stringify(Object.fromEntries(cols.map((c) => [c.name, 'VARCHAR']))));
      select = `SELECT ${cols.map((c) => cast(c, `_j.${qi(c.name)}`)).join(', ')}
FROM (SELECT json_transform(line, ${shape}) AS _j FROM ${lineReader(glob)}
      WHERE json_valid(line) AND starts_with(ltrim(line, ${JSON_WS}), '{'))`;
    } else {
      select = `SELECT ${cols.map((c) => cast(c, `nullif(${qi(c.name)}, '')`)).join(', ')}
FROM read_csv(${glob}, header = ${read.csv?.header ?? true}, delim = ${str(read.csv?.delimiter ?? ',')}, quote = '"', escape = '"', auto_detect = false,
              columns = {${cols.map((c) => `${str(c.name)}: 'VARCHAR'`).join(', ')}}, ignore_errors = true)`;
    }
    const file = ceilingFile(o.outDir, job.name);
    out.push({ dataset: job.name, label: `ceiling.${job.name}`, file, sql: `COPY (\n${select}\n) TO ${str(file)} (FORMAT parquet, COMPRESSION zstd)` });
  }
  return out;
}

/** The script as one readable .sql text (written next to the side's output). */
export function ceilingScriptText(statements: readonly CeilingStatement[]): string {
  return statements.map((s) => `-- ${s.label} (landing → Parquet, nothing else)\n${s.sql};\n`).join('\n');
}
