/**
 * The contract model: zod schemas for every kind of contract file, and the
 * TypeScript types inferred from them. All objects are strict, so an unknown field
 * is an error (with a "did you mean" from the loader), never silently ignored.
 */
import { z } from 'zod';

export const NAME_RE = /^[a-z][a-z0-9_]*$/;
const name = z.string().regex(NAME_RE, 'must be snake_case: lower-case letters, digits and _ , starting with a letter');
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.0.0');
const text = z.string().min(1, 'must not be empty');

/** Logical column types; `decimal(p,s)` carries precision and scale. */
export const SIMPLE_TYPES = ['string', 'integer', 'bigint', 'double', 'boolean', 'date', 'timestamp'] as const;
export const LOGICAL_TYPE_RE = /^(string|integer|bigint|double|boolean|date|timestamp|decimal\((\d+),(\d+)\))$/;
export const logicalType = z.string().regex(LOGICAL_TYPE_RE, 'must be one of string, integer, bigint, double, boolean, date, timestamp, decimal(p,s)');
export type LogicalType = string;

export interface ParsedType {
  readonly base: (typeof SIMPLE_TYPES)[number] | 'decimal';
  readonly precision?: number;
  readonly scale?: number;
}
export function parseLogicalType(t: string): ParsedType {
  const m = LOGICAL_TYPE_RE.exec(t);
  if (!m) throw new Error(`not a logical type: ${t}`);
  if (m[2] !== undefined && m[3] !== undefined) return { base: 'decimal', precision: Number(m[2]), scale: Number(m[3]) };
  return { base: m[1] as ParsedType['base'] };
}

/** PII classes. The class decides serving-side masking; the policy decides silver handling. */
export const PII_CLASSES = [
  'email',
  'phone',
  'person_name',
  'postal_address',
  'birth_date',
  'ip_address',
  'device_id',
  'payment_card',
  'precise_location',
  'free_text',
] as const;
export const PII_POLICIES = ['keep', 'pseudonymise', 'drop'] as const;
export const piiSchema = z.strictObject({
  class: z.enum(PII_CLASSES),
  /** keep: stored as is (masked when served); pseudonymise: salted SHA-256 in silver; drop: never leaves bronze. */
  policy: z.enum(PII_POLICIES),
});

export const columnSchema = z.strictObject({
  name,
  type: logicalType,
  required: z.boolean().default(false),
  description: text,
  pii: piiSchema.optional(),
  constraints: z
    .strictObject({
      max_length: z.number().int().positive().optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      accepted_values: z
        .array(z.union([z.string(), z.number()]))
        .min(1)
        .optional(),
      pattern: z.string().optional(),
    })
    .optional(),
});
export type Column = z.infer<typeof columnSchema>;

export const ACTIONS = ['quarantine', 'drop', 'warn', 'fail'] as const;
const action = z.enum(ACTIONS);
const ruleBase = { name: name.optional(), action, description: z.string().optional() };

export const qualityRuleSchema = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('not_null'), column: name, ...ruleBase }),
  z.strictObject({ rule: z.literal('unique'), columns: z.array(name).min(1), ...ruleBase }),
  z.strictObject({
    rule: z.literal('range'),
    column: name,
    min: z.number().optional(),
    max: z.number().optional(),
    ...ruleBase,
  }),
  z.strictObject({
    rule: z.literal('accepted_values'),
    column: name,
    values: z.array(z.union([z.string(), z.number()])).min(1),
    ...ruleBase,
  }),
  z.strictObject({ rule: z.literal('regex'), column: name, pattern: text, ...ruleBase }),
  z.strictObject({
    rule: z.literal('referential'),
    column: name,
    references: z.strictObject({ dataset: name, column: name }),
    ...ruleBase,
  }),
  z.strictObject({ rule: z.literal('freshness'), max_age_hours: z.number().positive(), ...ruleBase }),
]);
export type QualityRule = z.infer<typeof qualityRuleSchema>;
export const RULE_KINDS = ['not_null', 'unique', 'range', 'accepted_values', 'regex', 'referential', 'freshness'] as const;

export const datasetSchema = z.strictObject({
  dataset: name,
  version: semver,
  owner: text,
  domain: name,
  description: text,
  source: z.strictObject({
    system: text,
    format: z.enum(['jsonl', 'csv']),
    /** Relative to the landing container; must contain `{date}` (YYYY-MM-DD). */
    landing_path: z.string().regex(/\{date\}/, 'must contain the {date} placeholder, e.g. "users/{date}/users.jsonl"'),
    schedule: z.enum(['daily', 'hourly']),
    stream_topic: name.optional(),
    /**
     * The column whose value keys the dataset's records on `stream_topic` (the Kafka
     * record key, so one key's events stay in order on one partition). Needs
     * `stream_topic`; a declared, required column. The stream producer
     * (`streampulse stream produce`) emits the datasets that have both.
     */
    stream_key: name.optional(),
    csv: z.strictObject({ delimiter: z.string().length(1), header: z.boolean() }).optional(),
  }),
  sla: z.strictObject({
    freshness_hours: z.number().positive(),
    completeness_pct: z.number().min(0).max(100),
  }),
  primary_key: z.array(name).min(1),
  event_time: name,
  watermark: z.strictObject({ max_delay_hours: z.number().int().nonnegative() }),
  retention: z
    .strictObject({
      landing_days: z.number().int().positive().default(30),
      bronze_days: z.number().int().positive().default(365),
      silver_days: z.number().int().positive().default(730),
      quarantine_days: z.number().int().positive().default(90),
    })
    .prefault({}),
  columns: z.array(columnSchema).min(1),
  quality: z.array(qualityRuleSchema).default([]),
  silver: z.strictObject({
    dedupe: z.strictObject({
      key: z.array(name).min(1),
      order_by: z.array(z.strictObject({ column: name, direction: z.enum(['asc', 'desc']) })).min(1),
    }),
    conform: z
      .array(
        z.strictObject({
          column: name,
          trim: z.boolean().optional(),
          case: z.enum(['lower', 'upper']).optional(),
          default: z.union([z.string(), z.number(), z.boolean()]).optional(),
        }),
      )
      .default([]),
    scd: z
      .discriminatedUnion('type', [z.strictObject({ type: z.literal(1) }), z.strictObject({ type: z.literal(2), tracked_columns: z.array(name).min(1) })])
      .default({ type: 1 }),
  }),
});
export type DatasetContract = z.infer<typeof datasetSchema>;

/** A relation an expression-based contract reads: a silver dataset or a gold model. */
const relationRef = z
  .strictObject({ dataset: name.optional(), model: name.optional(), alias: name })
  .refine((r) => (r.dataset === undefined) !== (r.model === undefined), {
    message: 'give exactly one of `dataset` (a silver dataset) or `model` (a gold model)',
  });
export type RelationRef = z.infer<typeof relationRef>;

const joinSchema = z.strictObject({
  dataset: name.optional(),
  model: name.optional(),
  alias: name,
  type: z.enum(['inner', 'left']).default('inner'),
  on: text,
});
export type Join = z.infer<typeof joinSchema>;

export const modelColumnSchema = z.strictObject({
  name,
  type: logicalType,
  description: text,
  /** Portable expression over the model's relations; defaults to the same-named column. */
  expr: text.optional(),
  required: z.boolean().default(false),
});
export type ModelColumn = z.infer<typeof modelColumnSchema>;

/** One branch of a UNION ALL: a relation with joins/filter and the columns it selects. */
const unionBranchSchema = z.strictObject({
  from: relationRef,
  joins: z.array(joinSchema).default([]),
  filter: text.optional(),
  /** output column name → portable expression over this branch's relations */
  select: z.record(name, text),
});
export type UnionBranch = z.infer<typeof unionBranchSchema>;

/** The alias under which a model's columns see the result of its `union`. */
export const UNION_ALIAS = 'u';

export const modelSchema = z.strictObject({
  model: name,
  version: semver,
  owner: text,
  domain: name,
  description: text,
  type: z.enum(['dimension', 'fact', 'date_dimension']),
  grain: text,
  primary_key: z.array(name).min(1),
  /** Only for `date_dimension`: the generated calendar spine (its one column is `date_day`). */
  spine: z.strictObject({ start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), end: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }).optional(),
  from: relationRef.optional(),
  /** Instead of `from`: UNION ALL of branches, seen by the columns as alias `u`. */
  union: z.array(unionBranchSchema).min(2).optional(),
  joins: z.array(joinSchema).default([]),
  filter: text.optional(),
  columns: z.array(modelColumnSchema).min(1),
});
export type ModelContract = z.infer<typeof modelSchema>;

const measureSchema = z.strictObject({
  name,
  type: logicalType,
  expr: text,
  /** The business definition an analyst reads next to the number. */
  definition: text,
  metric: name.optional(),
  /**
   * Whether summing the measure over rows gives the measure of their union (a card that
   * rolls rows up sums it). Default: from the metric's unit (counts, amounts, durations
   * are additive; ratios and distinct user counts are not). Set `true` for a distinct
   * count whose rows partition the population (each journey counted in one row only).
   */
  additive: z.boolean().optional(),
});
export type Measure = z.infer<typeof measureSchema>;

/**
 * A relationship (tested on the serving database, like dbt's `relationships`): every
 * value of the dimension exists in `mart.column`, whose grain is that column alone.
 */
const referenceSchema = z.strictObject({ mart: name, column: name });
export type DimensionReference = z.infer<typeof referenceSchema>;

const dimensionSchema = z.strictObject({ name, type: logicalType, expr: text.optional(), description: text, references: referenceSchema.optional() });
export type Dimension = z.infer<typeof dimensionSchema>;

/** Claim names of row-level security (rendered into SQL string literals). */
export const CLAIM_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
/** Logical types a row-level security column may have. */
export const RLS_TYPES = ['string', 'integer', 'bigint'] as const;

export const martSchema = z.strictObject({
  mart: z.string().regex(/^analytics_[a-z0-9_]+$/, 'serving marts are named analytics_<subject>'),
  version: semver,
  owner: text,
  domain: name,
  description: text,
  /** The dimension names that make a row unique. */
  grain: z.array(name).min(1),
  from: relationRef,
  joins: z.array(joinSchema).default([]),
  filter: text.optional(),
  dimensions: z.array(dimensionSchema).min(1),
  measures: z.array(measureSchema).min(1),
  /**
   * Kept current by the stream consumer (`streampulse stream run`): rebuilt and merged
   * into serving after each micro-batch of the streamed datasets it reads, not only by the
   * daily batch. Omitted: daily only.
   */
  stream_refresh: z.boolean().optional(),
  /**
   * Row-level security in the serving database: a principal sees a row when it holds
   * the row's value of `column` for `principal_claim` (or `*`).
   */
  row_level_security: z
    .strictObject({
      column: name,
      principal_claim: z
        .string()
        .regex(CLAIM_RE, 'must be a claim name: letters, digits and _ . : - , starting with a letter (e.g. extension_streampulse_region)'),
    })
    .optional(),
});
export type MartContract = z.infer<typeof martSchema>;

/** Every relation a model or mart reads, in order: its `from`, its joins, then each union branch's `from` and joins. */
export function relationsRead(c: ModelContract | MartContract): (RelationRef | Join)[] {
  const union = 'union' in c && c.union ? c.union.flatMap((b) => [b.from, ...b.joins]) : [];
  return [...(c.from ? [c.from] : []), ...c.joins, ...union];
}

/** Parameters every expression may use without declaring them; bound per batch. */
export const BUILTIN_PARAMETERS = { run_date: 'date of the batch being processed (YYYY-MM-DD)' } as const;

export const metricsSchema = z.strictObject({
  /**
   * Optional semantic version of the metrics file; absent counts as 1.0.0. The
   * breaking-change gate (`streampulse contracts diff`) asks for a major bump of it.
   */
  version: semver.optional(),
  metrics: z
    .array(
      z.strictObject({
        name,
        label: text,
        definition: text,
        unit: z.enum(['user_count', 'currency', 'ratio', 'count', 'percent', 'days', 'minutes']),
        kind: z.enum(['base', 'derived']),
        /**
         * Derived metrics only (and required there): an expression over the names of
         * declared metrics — `+ - * /`, parentheses, numbers, `total(m)` (formula.ts) —
         * checked when the contracts load.
         */
        formula: text.optional(),
        /** Optional: derived from the formula; when given, it must list exactly the metrics the formula names. */
        depends_on: z.array(name).optional(),
      }),
    )
    .min(1),
  /** Named constants that expressions reference as `$name`. */
  parameters: z.record(name, z.union([z.number(), z.string()])).default({}),
});
/** The metrics file as written (schema-valid, not cross-checked). */
export type MetricsFile = z.infer<typeof metricsSchema>;
/**
 * A metric of the loaded set. `depends_on` is derived from the formula: the metrics it
 * names, in order of first use (empty for a base metric).
 */
export type Metric = Omit<MetricsFile['metrics'][number], 'depends_on'> & { readonly depends_on: readonly string[] };
export type MetricsContract = Omit<MetricsFile, 'metrics'> & { readonly metrics: readonly Metric[] };

export const VISUALIZATIONS = ['number', 'line', 'bar', 'area', 'combo', 'table', 'funnel', 'pie', 'row', 'pivot'] as const;
export const cardSchema = z.strictObject({
  id: name,
  title: text,
  description: z.string().optional(),
  mart: name,
  visualization: z.enum(VISUALIZATIONS),
  query: z.strictObject({
    dimensions: z.array(name).default([]),
    measures: z.array(name).min(1),
    filters: z
      .array(
        z.strictObject({
          column: name,
          op: z.enum(['=', '!=', '<', '<=', '>', '>=', 'in', 'last_n_months', 'last_n_days']),
          value: z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]),
        }),
      )
      .default([]),
    sort: z.array(z.strictObject({ column: name, direction: z.enum(['asc', 'desc']) })).default([]),
    limit: z.number().int().positive().optional(),
  }),
  layout: z.strictObject({
    row: z.number().int().nonnegative(),
    col: z.number().int().nonnegative(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  }),
});
export type Card = z.infer<typeof cardSchema>;

/**
 * A dashboard-wide filter. `date_range` narrows each card to a period on its time column
 * (`column`, else the first date dimension of the card's mart); `category` narrows the
 * cards whose mart has `column` to the chosen values.
 */
export const DASHBOARD_FILTER_TYPES = ['date_range', 'category'] as const;
export const dashboardFilterSchema = z.strictObject({
  id: name,
  label: text,
  type: z.enum(DASHBOARD_FILTER_TYPES),
  column: name.optional(),
});
export type DashboardFilter = z.infer<typeof dashboardFilterSchema>;

export const dashboardSchema = z.strictObject({
  dashboard: name,
  /** Optional semantic version of the dashboard; absent counts as 1.0.0 (see metricsSchema.version). */
  version: semver.optional(),
  title: text,
  description: text,
  owner: text,
  filters: z.array(dashboardFilterSchema).default([]),
  cards: z.array(cardSchema).min(1),
});
export type DashboardContract = z.infer<typeof dashboardSchema>;

export const CONTRACT_KINDS = ['dataset', 'model', 'mart', 'metrics', 'dashboard'] as const;
export type ContractKind = (typeof CONTRACT_KINDS)[number];
export const SCHEMAS = {
  dataset: datasetSchema,
  model: modelSchema,
  mart: martSchema,
  metrics: metricsSchema,
  dashboard: dashboardSchema,
} as const;

/** Where a contract came from, so later stages can point back at the YAML. */
export interface SourceRef {
  readonly file: string;
}

/** The whole, cross-checked contract set. Arrays are sorted by name. */
export interface ContractSet {
  readonly root: string;
  readonly datasets: readonly (DatasetContract & SourceRef)[];
  readonly models: readonly (ModelContract & SourceRef)[];
  readonly marts: readonly (MartContract & SourceRef)[];
  readonly metrics: MetricsContract & SourceRef;
  readonly dashboards: readonly (DashboardContract & SourceRef)[];
}
