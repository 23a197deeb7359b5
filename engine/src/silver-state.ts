/**
 * The silver state the local runner holds between jobs and batches: the relations gold
 * and the referential checks read (`silver__<name>` views merged on read,
 * `silver_ref__<name>` / `silver_history__<name>` tables for datasets a check looks up),
 * which partitions each was built from, the seen index of earlier rows per dataset, and
 * the views whose creation waits for a partition being written. Extracted from the
 * runner unchanged: the runner owns the batch, this owns what silver looks like to it.
 */
import { StreamPulseError } from '@streampulse/contracts';
import type { JobPlan, JobSpec } from '@streampulse/jobs';
import type { Duck } from './duck.js';
import { qi, sqlStr } from './duck.js';
import type { Lake } from './lake.js';
import { mergeSilverState, partitionsSql, silverStateSql, stateColumns } from './silver.js';

/** Whether two lists of batches are the same, in the same order (held state against the lake's partitions). */
export const sameBatches = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => b[i] === x);
/** Whether a silver job merges its dataset as SCD2 (keeps every version). */
export const isScd2 = (spec: JobSpec): boolean => spec.steps.some((s) => s.op === 'merge' && s.mode === 'scd2');

export class SilverState {
  /** The batch whose silver jobs all completed last (its state tables are current). */
  asOf: string | undefined;
  /** Per dataset, the silver partitions (batches) its state table was built from. */
  private readonly stateParts = new Map<string, readonly string[]>();
  /**
   * Datasets whose silver state a bronze quality check reads (referential rules), with
   * the columns the checks look up: their state is kept as a narrow table (`silver_ref__`:
   * key, ordering, tracked and looked-up columns), merged batch by batch. Gold reads every
   * dataset's full state through a view, merged on read.
   */
  readonly referenced: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per dataset, the silver partitions (batches) its seen index (`seenIndexBefore`) was built from. */
  private readonly seenParts = new Map<string, readonly string[]>();
  /** Silver views not yet brought up to the batch given: created before gold reads them (`createStaleViews`). */
  private readonly staleViews = new Map<string, string>();

  constructor(
    private readonly plan: JobPlan,
    private readonly lake: Lake,
    private readonly duck: Duck,
    /** Awaits the partition writes handed to the side lane (the runner's pending writes). */
    private readonly flush: () => Promise<void>,
  ) {
    const referenced = new Map<string, Set<string>>();
    for (const job of plan.jobs)
      for (const st of job.steps)
        if (st.op === 'quality')
          for (const c of st.checks) {
            const parent = c.references ? /\{\{silver\.([a-z0-9_]+)\}\}/.exec(c.references.table)?.[1] : undefined;
            if (parent !== undefined && c.references) referenced.set(parent, (referenced.get(parent) ?? new Set()).add(c.references.column));
          }
    this.referenced = referenced;
  }

  /** Records that a silver job appended `batch`'s rows to the dataset's seen index. */
  seenAppended(dataset: string, batch: string): void {
    this.seenParts.set(dataset, [...(this.seenParts.get(dataset) ?? []), batch]);
  }

  /** The silver state tables were left by the batch just before `batch`, and nothing was merged since. */
  currentBefore(specs: Map<string, JobSpec>, batch: string): boolean {
    const asOf = this.asOf;
    if (asOf === undefined || asOf >= batch) return false;
    for (const spec of specs.values()) if (spec.layer === 'silver' && this.lake.batches('silver', spec.name).some((b) => b > asOf && b <= batch)) return false;
    return true;
  }

  relationName(specs: Map<string, JobSpec>, dataset: string, batch: string): string | undefined {
    const s = specs.get(`silver.${dataset}`);
    if (!s || !silverStateSql(s, this.lake, batch)) return undefined;
    return this.referenced.has(dataset) ? qi(`silver_ref__${dataset}`) : qi(`silver__${dataset}`);
  }

  /**
   * Brings every dataset's (or only `only`'s) silver relations up to `batch`:
   * - `silver__<name>`, what gold reads: a view of the full state merged on read from the
   *   partitions (gold is usually built once, after the last batch);
   * - for datasets a referential check reads, `silver_ref__<name>`: a table with the
   *   state's rows in the columns the merge and the checks need, and for SCD2 datasets
   *   `silver_history__<name>` with every silver row in those columns. After a silver job
   *   (`newRows` = the partition it just wrote) they are brought up to date with that one
   *   partition instead of re-reading every partition.
   */
  async refresh(specs: Map<string, JobSpec>, batch: string, only?: string, newRows?: string, newRowsEmpty = false): Promise<void> {
    for (const spec of specs.values()) {
      if (spec.layer !== 'silver' || (only !== undefined && spec.name !== only)) continue;
      const parts = this.lake.batches('silver', spec.name).filter((b) => b <= batch);
      const writing = parts.some((b) => this.lake.isWriting('silver', spec.name, b));
      // the view gold reads is created when gold needs it (createStaleViews), once, not after
      // every silver job: creating it reads every partition's schema, and a partition may
      // still be being written
      this.staleViews.set(spec.name, batch);
      const lookedUp = this.referenced.get(spec.name);
      if (lookedUp === undefined) continue;
      const cols = stateColumns(spec, lookedUp);
      const table = qi(`silver_ref__${spec.name}`);
      const history = qi(`silver_history__${spec.name}`);
      const scd2 = isScd2(spec);
      const held = this.stateParts.get(spec.name);
      this.stateParts.delete(spec.name);
      const onlyNew = newRows !== undefined && held !== undefined && parts[parts.length - 1] === batch && sameBatches(held, parts.slice(0, -1));
      if (!(onlyNew && (await mergeSilverState(this.duck, spec, table, newRows, scd2 ? history : undefined, cols, newRowsEmpty)))) {
        // rebuilt from the partitions: those being written are awaited first
        if (writing) await this.flush();
        const empty = `(SELECT ${cols.map(qi).join(', ')}, _batch_id, _record_hash FROM (${this.emptySilver(specs, spec)}))`;
        if (scd2) {
          const src = parts.length > 0 ? partitionsSql(spec, this.lake, parts, cols) : empty;
          await this.duck.run(`CREATE OR REPLACE TEMP TABLE ${history} AS SELECT * FROM ${src}`, `silver history ${spec.name}`);
          await this.duck.run(
            `CREATE OR REPLACE TEMP TABLE ${table} AS ${silverStateSql(spec, this.lake, batch, history, cols)!}`,
            `silver state ${spec.name}`,
          );
        } else {
          // materialised once per silver job: quality checks read it many times per batch
          const sql = parts.length > 0 ? silverStateSql(spec, this.lake, batch, undefined, cols)! : `SELECT * FROM ${empty}`;
          await this.duck.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${sql}`, `silver state ${spec.name}`);
        }
      }
      this.stateParts.set(spec.name, parts);
    }
  }

  /** Creates (or replaces) the view gold reads a dataset's silver state through, as of `batch`. */
  private async createView(specs: Map<string, JobSpec>, spec: JobSpec, batch: string): Promise<void> {
    this.staleViews.delete(spec.name);
    await this.duck.run(
      `CREATE OR REPLACE TEMP VIEW ${qi(`silver__${spec.name}`)} AS ${silverStateSql(spec, this.lake, batch) ?? this.emptySilver(specs, spec)}`,
      `silver view ${spec.name}`,
    );
  }

  /** Creates the views whose creation waited for a partition being written (call after `flushWrites`). */
  async createStaleViews(specs: Map<string, JobSpec>): Promise<void> {
    for (const [name, batch] of [...this.staleViews.entries()]) {
      const spec = specs.get(`silver.${name}`);
      if (spec !== undefined) await this.createView(specs, spec, batch);
      else this.staleViews.delete(name);
    }
  }

  /**
   * The held index of a dataset's earlier silver rows (`silver_seen__<name>`: 64-bit hash
   * of the record hash, batch id — a day or a stream micro-batch's instant) for the batches before `batch`: built from the partitions
   * when the runner does not hold exactly those (a new runner, a batch run again or out
   * of order), then kept up to date by each silver job.
   */
  async seenIndexBefore(spec: JobSpec, batch: string): Promise<string> {
    const table = qi(`silver_seen__${spec.name}`);
    const before = this.lake.batches('silver', spec.name).filter((b) => b < batch);
    const held = this.seenParts.get(spec.name);
    if (held !== undefined && sameBatches(held, before)) return table;
    this.seenParts.delete(spec.name);
    const src =
      before.length > 0
        ? `SELECT hash(_record_hash) AS h, _batch_id AS b FROM read_parquet([${before.map((b) => sqlStr(this.lake.partitionFile('silver', spec.name, b))).join(', ')}])`
        : `SELECT NULL::UBIGINT AS h, NULL::VARCHAR AS b WHERE FALSE`;
    await this.duck.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${src}`, `seen index ${spec.name}`);
    this.seenParts.set(spec.name, before);
    return table;
  }

  /** The table with every silver row of an SCD2 dataset from the batches before `batch`, when held exactly. */
  historyBefore(dataset: string, batch: string): string | undefined {
    const held = this.stateParts.get(dataset);
    const spec = this.plan.jobs.find((j) => j.id === `silver.${dataset}`);
    if (held === undefined || spec === undefined || !isScd2(spec)) return undefined;
    const before = this.lake.batches('silver', dataset).filter((b) => b < batch);
    return sameBatches(held, before) ? qi(`silver_history__${dataset}`) : undefined;
  }

  private emptySilver(specs: Map<string, JobSpec>, silverSpec: JobSpec): string {
    const bronzeSpec = specs.get(`bronze.${silverSpec.name}`);
    const parse = bronzeSpec?.steps.find((s) => s.op === 'parse');
    const merge = silverSpec.steps.find((s) => s.op === 'merge');
    if (parse?.op !== 'parse' || !merge || merge.op !== 'merge')
      throw new StreamPulseError('LOCAL_SPEC_INVALID', `no parse/merge step for ${silverSpec.name}`, { remedy: 'regenerate the job specs' });
    const types = new Map(parse.columns.map((c) => [c.name, c.cast.duckdb]));
    const cols = merge.columns.map((c) => `${(types.get(c) ?? 'TRY_CAST({{value}} AS VARCHAR)').split('{{value}}').join('NULL')} AS ${qi(c)}`);
    const scd2 = merge.mode === 'scd2' ? ', NULL::TIMESTAMP AS _valid_from, NULL::TIMESTAMP AS _valid_to, NULL::BOOLEAN AS _is_current' : '';
    return `SELECT ${cols.join(', ')}, NULL::VARCHAR AS _batch_id, NULL::VARCHAR AS _record_hash${scd2} WHERE FALSE`;
  }
}
