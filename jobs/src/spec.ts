/**
 * The job spec: a serialisable, engine-neutral description of one unit of work
 * (a dataset's bronze or silver step, a gold model, a mart). The local DuckDB runner
 * and the PySpark runtime both interpret the same JSON; the SQL inside it comes from
 * the dialect renderers of @streampulse/sql, one text per engine.
 *
 * Table references inside SQL are written as `{{layer.name}}` (e.g. `{{silver.users}}`)
 * and batch parameters as `{{param:run_date}}`; each runner substitutes its own
 * locations and literals, so the spec never names a path or an engine's catalog.
 */

export const SPEC_VERSION = 1;

/** The engines a spec carries SQL for. */
export const ENGINES = ['duckdb', 'spark'] as const;
export type Engine = (typeof ENGINES)[number];
export type EngineSql = Readonly<Record<Engine, string>>;

export type Layer = 'bronze' | 'silver' | 'gold' | 'mart';

export interface ColumnSpec {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  /** SQL that casts the raw text value `{{value}}` to the column type, NULL when it does not parse. */
  readonly cast: EngineSql;
}

export interface QualityCheck {
  /** Stable id, used as the quarantine reason: e.g. `not_null:user_id`. */
  readonly id: string;
  readonly rule: string;
  readonly action: 'quarantine' | 'drop' | 'warn' | 'fail';
  /** Row-level checks: SQL that is TRUE when the row passes (NULL counts as a pass only where stated). */
  readonly passes?: EngineSql;
  /** For `unique`: the key columns; for `referential`: the parent relation and column. */
  readonly columns?: readonly string[];
  readonly references?: { readonly table: string; readonly column: string };
  /** For `freshness`: the maximum age in hours of the newest event time. */
  readonly maxAgeHours?: number;
  readonly description: string;
}

export type Step =
  | {
      readonly op: 'read_landing';
      readonly format: 'jsonl' | 'csv';
      /** Relative to the landing root, with `{date}`. */
      readonly path: string;
      readonly csv?: { readonly delimiter: string; readonly header: boolean };
    }
  | { readonly op: 'parse'; readonly columns: readonly ColumnSpec[]; readonly rescue_unknown_fields: true }
  | { readonly op: 'audit'; readonly columns: readonly string[] }
  | {
      readonly op: 'quality';
      readonly checks: readonly QualityCheck[];
      /** The contract's freshness SLA (`sla.freshness_hours`): the batch report's `within_sla`. */
      readonly freshness_sla_hours: number;
    }
  | { readonly op: 'watermark'; readonly event_time: string; readonly max_delay_hours: number }
  | { readonly op: 'write_bronze' }
  | { readonly op: 'read_bronze'; readonly statuses: readonly string[] }
  | { readonly op: 'conform'; readonly columns: readonly { readonly name: string; readonly sql: EngineSql }[] }
  | { readonly op: 'pseudonymise'; readonly columns: readonly string[]; readonly algorithm: 'sha256'; readonly salt_secret: string }
  | { readonly op: 'drop_columns'; readonly columns: readonly string[] }
  | {
      readonly op: 'dedupe';
      readonly key: readonly string[];
      readonly order_by: readonly { readonly column: string; readonly direction: 'asc' | 'desc' }[];
    }
  | {
      readonly op: 'merge';
      readonly mode: 'scd1' | 'scd2';
      readonly key: readonly string[];
      readonly order_by: readonly { readonly column: string; readonly direction: 'asc' | 'desc' }[];
      readonly tracked_columns?: readonly string[];
      readonly columns: readonly string[];
    }
  | { readonly op: 'build'; readonly sql: EngineSql; readonly columns: readonly { readonly name: string; readonly type: string }[] };

export interface JobSpec {
  readonly spec_version: typeof SPEC_VERSION;
  /** `<layer>.<name>`, unique across the project. */
  readonly id: string;
  readonly layer: Layer;
  readonly name: string;
  /** The contract file this job comes from (for errors and lineage). */
  readonly contract: string;
  readonly depends_on: readonly string[];
  readonly steps: readonly Step[];
}

/** All jobs of a project in a valid execution order (dependencies first). */
export interface JobPlan {
  readonly spec_version: typeof SPEC_VERSION;
  readonly jobs: readonly JobSpec[];
}

/** Bronze audit columns (ARCHITECTURE.md, bronze layer), in order. */
export const AUDIT_COLUMNS = ['_source_file', '_batch_id', '_record_hash', '_ingested_at', '_quality_status', '_quarantine_reason', '_rescued'] as const;
