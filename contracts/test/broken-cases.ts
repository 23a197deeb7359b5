export interface BrokenCase {
  /** Folder under fixtures/broken/: its files replace (or add to) the valid set. */
  readonly case: string;
  readonly issueCount: number;
  /** The first issue reported (issues are sorted by file, line, column). */
  readonly first: {
    readonly code: string;
    /** File name inside the case folder. */
    readonly file: string;
    readonly line: number;
    readonly column: number;
    readonly path: string;
    readonly message: string;
    readonly remedy: string;
  };
}

// Generated once from the loader's output, then reviewed line by line against the
// fixture files (positions point at the offending token). Edit by hand.
export const BROKEN_CASES: readonly BrokenCase[] = [
  {
    case: 'bad_type',
    issueCount: 1,
    first: {
      code: 'CONTRACT_INVALID_VALUE',
      file: 'payments.yaml',
      line: 31,
      column: 11,
      path: 'columns[2].type',
      message: 'the string "money" must be one of string, integer, bigint, double, boolean, date, timestamp, decimal(p,s)',
      remedy: 'change the value: it must be one of string, integer, bigint, double, boolean, date, timestamp, decimal(p,s)',
    },
  },
  {
    case: 'card_unknown_mart',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_MART',
      file: 'dashboard.yaml',
      line: 8,
      column: 11,
      path: 'cards[0].mart',
      message: 'card "revenue_trend" reads mart "analytics_revenu", which does not exist — did you mean "analytics_revenue"?',
      remedy: 'use one of: analytics_revenue',
    },
  },
  {
    case: 'card_unknown_measure',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_MEASURE',
      file: 'dashboard.yaml',
      line: 12,
      column: 18,
      path: 'cards[0].query.measures[0]',
      message: 'mart "analytics_revenue" has no measure "mrr"',
      remedy: 'use one of: revenue, payers',
    },
  },
  {
    case: 'dangling_reference',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_DATASET',
      file: 'payments.yaml',
      line: 46,
      column: 16,
      path: 'quality[0].references.dataset',
      message: 'referenced dataset "accounts" does not exist',
      remedy: 'use one of: users, payments',
    },
  },
  {
    case: 'depends_on_mismatch',
    issueCount: 1,
    first: {
      code: 'CONTRACT_DEPENDS_ON_MISMATCH',
      file: 'metrics.yaml',
      line: 18,
      column: 17,
      path: 'metrics[2].depends_on',
      message: 'depends_on of arpu is [revenue] but its formula uses [revenue, payers]; missing: payers',
      remedy: 'remove "depends_on:" (it is derived from the formula) or set it to [revenue, payers]',
    },
  },
  {
    case: 'dropped_pii',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_COLUMN',
      file: 'dim_user.yaml',
      line: 20,
      column: 30,
      path: 'columns[1].expr',
      message: 'column region: dataset "users" (alias u) has no column "full_name" (its PII policy "drop" removes it in silver)',
      remedy: 'use one of: user_id, email, region, signup_at, updated_at, _valid_from, _valid_to, _is_current',
    },
  },
  {
    case: 'duplicate_column',
    issueCount: 1,
    first: {
      code: 'CONTRACT_DUPLICATE_NAME',
      file: 'payments.yaml',
      line: 34,
      column: 11,
      path: 'columns[3].name',
      message: 'column "amount" is declared twice',
      remedy: 'rename or remove the second "amount"',
    },
  },
  {
    case: 'duplicate_dataset',
    issueCount: 1,
    first: {
      code: 'CONTRACT_DUPLICATE_NAME',
      file: 'users_copy.yaml',
      line: 1,
      column: 10,
      path: 'dataset',
      message: 'dataset name "users" is already used by the dataset in users.yaml',
      remedy: 'rename one of them or delete the duplicate file',
    },
  },
  {
    case: 'duplicate_key',
    issueCount: 1,
    first: {
      code: 'CONTRACT_DUPLICATE_FIELD',
      file: 'users.yaml',
      line: 5,
      column: 1,
      path: '',
      message: 'field "domain" appears twice in the same mapping',
      remedy: 'keep one of the two fields with this name',
    },
  },
  {
    case: 'expr_syntax',
    issueCount: 1,
    first: {
      code: 'CONTRACT_EXPR_SYNTAX',
      file: 'fact_payments.yaml',
      line: 29,
      column: 37,
      path: 'columns[4].expr',
      message: 'column is_successful: the expression ends too early',
      remedy: 'fix the expression; the grammar is described in contracts/README.md',
    },
  },
  {
    case: 'formula_syntax',
    issueCount: 1,
    first: {
      code: 'CONTRACT_EXPR_SYNTAX',
      file: 'metrics.yaml',
      line: 17,
      column: 22,
      path: 'metrics[2].formula',
      message: 'formula of arpu: unexpected "per" after a complete expression',
      remedy:
        'write the formula as arithmetic over declared metric names, e.g. churned_subscribers / opening_subscribers (see "Metric formulas" in contracts/README.md)',
    },
  },
  {
    case: 'formula_unknown_metric',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_METRIC',
      file: 'metrics.yaml',
      line: 17,
      column: 24,
      path: 'metrics[2].formula',
      message: 'formula of arpu: "payer" is not a declared metric — did you mean "payers"?',
      remedy: 'use one of: revenue, payers, arpu',
    },
  },
  {
    case: 'freshness_row_action',
    issueCount: 1,
    first: {
      code: 'CONTRACT_INVALID_VALUE',
      file: 'payments.yaml',
      line: 55,
      column: 13,
      path: 'quality[2].action',
      message: 'a freshness rule judges the whole dataset once per batch, not a row, so there is no row to quarantine',
      remedy: 'use action "fail" (the batch stops before it is written) or "warn" (reported and noted)',
    },
  },
  {
    case: 'grain_unknown',
    issueCount: 2,
    first: {
      code: 'CONTRACT_UNKNOWN_DIMENSION',
      file: 'analytics_revenue.yaml',
      line: 6,
      column: 16,
      path: 'grain[1]',
      message: 'grain "regoin" is not one of the mart\'s dimensions — did you mean "region"?',
      remedy: 'use one of: month, region',
    },
  },
  {
    case: 'invalid_enum',
    issueCount: 1,
    first: {
      code: 'CONTRACT_INVALID_VALUE',
      file: 'users.yaml',
      line: 8,
      column: 11,
      path: 'source.format',
      message: 'the string "jsnl" is not allowed — did you mean "jsonl"?',
      remedy: 'use one of: jsonl, csv',
    },
  },
  {
    case: 'key_not_declared',
    issueCount: 1,
    first: {
      code: 'CONTRACT_KEY_NOT_DECLARED',
      file: 'payments.yaml',
      line: 17,
      column: 15,
      path: 'primary_key[0]',
      message: 'primary key column "payment_uuid" is not declared under columns — did you mean "payment_id"?',
      remedy: 'add a column named "payment_uuid" (required: true) or fix the key',
    },
  },
  {
    case: 'measure_missing_column',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_COLUMN',
      file: 'analytics_revenue.yaml',
      line: 27,
      column: 46,
      path: 'measures[0].expr',
      message: 'measure revenue: model "fact_payments" (alias f) has no column "amount_eur"',
      remedy: 'use one of: payment_id, user_id, payment_month, amount, is_successful',
    },
  },
  {
    case: 'metric_input_not_served',
    issueCount: 1,
    first: {
      code: 'CONTRACT_METRIC_INPUT_NOT_SERVED',
      file: 'analytics_revenue.yaml',
      line: 38,
      column: 13,
      path: 'measures[2].metric',
      message: 'measure "arpu" serves derived metric "arpu" = revenue / payers, but no measure of this mart serves "payers"',
      remedy: 'add a measure with "metric: payers" to analytics_revenue, or link "arpu" to another metric',
    },
  },
  {
    case: 'order_dependent_sum',
    issueCount: 1,
    first: {
      code: 'CONTRACT_ORDER_DEPENDENT_SUM',
      file: 'analytics_revenue.yaml',
      line: 36,
      column: 11,
      path: 'measures[2].expr',
      message:
        "measure avg_payment: avg() over a double adds floating-point values in whatever order the engine's threads reach them, so two runs of the same data can differ in the last digits (gold would not be byte-identical)",
      remedy: 'sum an exact type instead, e.g. avg(cast(<expr> as decimal(18,4))), or sum integers and divide after',
    },
  },
  {
    case: 'measure_not_aggregate',
    issueCount: 1,
    first: {
      code: 'CONTRACT_AGGREGATE_REQUIRED',
      file: 'analytics_revenue.yaml',
      line: 27,
      column: 11,
      path: 'measures[0].expr',
      message: 'measure revenue must aggregate (sum, count, avg, min, max)',
      remedy: 'wrap the expression in an aggregate, or make it a dimension',
    },
  },
  {
    case: 'missing_field',
    issueCount: 1,
    first: {
      code: 'CONTRACT_MISSING_FIELD',
      file: 'payments.yaml',
      line: 1,
      column: 1,
      path: 'owner',
      message: 'required field "owner" is missing',
      remedy: 'add "owner:" with a string to the top level of the file',
    },
  },
  {
    case: 'model_cycle',
    issueCount: 3,
    first: {
      code: 'CONTRACT_CYCLE',
      file: 'dim_user.yaml',
      line: 10,
      column: 3,
      path: 'from',
      message: 'models read each other in a cycle: dim_user → fact_payments → dim_user',
      remedy: 'break the cycle: a model may only read datasets and models built before it',
    },
  },
  {
    case: 'stream_key_without_topic',
    issueCount: 1,
    first: {
      code: 'CONTRACT_MISSING_FIELD',
      file: 'payments.yaml',
      line: 11,
      column: 15,
      path: 'source.stream_key',
      message: 'a stream_key without a stream_topic keys nothing',
      remedy: 'add "stream_topic:" under source, or remove "stream_key"',
    },
  },
  {
    case: 'unknown_column',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_COLUMN',
      file: 'fact_payments.yaml',
      line: 22,
      column: 31,
      path: 'columns[2].expr',
      message: 'column payment_month: dataset "payments" (alias p) has no column "created"',
      remedy: 'use one of: payment_id, user_id, amount, status, created_at',
    },
  },
  {
    case: 'unknown_field',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_FIELD',
      file: 'users.yaml',
      line: 37,
      column: 5,
      path: 'columns[3].requred',
      message: 'unknown field "requred" — did you mean "required"?',
      remedy: 'rename "requred" to "required"',
    },
  },
  {
    case: 'unknown_function',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_FUNCTION',
      file: 'dim_user.yaml',
      line: 20,
      column: 11,
      path: 'columns[1].expr',
      message: 'column region: unknown function ifnull()',
      remedy:
        'use a portable function: count, sum, avg, min, max, row_number, lag, lead, first_value, coalesce, nullif, safe_divide, round, floor, ceil, abs, greatest, least, lower, upper, trim, length, concat, to_date, date_trunc, date_add_days, date_add_months, date_diff_days, months_between, year, quarter, month, day, day_of_week, iso_week, month_name, date_key',
    },
  },
  {
    case: 'unknown_kind',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_KIND',
      file: 'dashboard.yaml',
      line: 1,
      column: 1,
      path: '',
      message: 'cannot tell what this contract is: it has none of the identifying fields',
      remedy: 'give exactly one of: dataset, model, mart, metrics, dashboard (e.g. "dataset: users")',
    },
  },
  {
    case: 'unknown_metric',
    issueCount: 1,
    first: {
      code: 'CONTRACT_UNKNOWN_METRIC',
      file: 'analytics_revenue.yaml',
      line: 29,
      column: 13,
      path: 'measures[0].metric',
      message: 'metric "revenues" is not defined in metrics.yaml — did you mean "revenue"?',
      remedy: 'use one of: revenue, payers, arpu',
    },
  },
  {
    case: 'unknown_rule',
    issueCount: 1,
    first: {
      code: 'CONTRACT_INVALID_VALUE',
      file: 'users.yaml',
      line: 47,
      column: 11,
      path: 'quality[0].rule',
      message: 'rule "not_nul" is not known — did you mean "not_null"?',
      remedy: 'set "rule" to one of: not_null, unique, range, accepted_values, regex, referential, freshness',
    },
  },
  {
    case: 'wrong_type',
    issueCount: 1,
    first: {
      code: 'CONTRACT_WRONG_TYPE',
      file: 'payments.yaml',
      line: 15,
      column: 20,
      path: 'sla.freshness_hours',
      message: 'must be a number, but is the string "daily"',
      remedy: 'write a number here',
    },
  },
  {
    case: 'yaml_syntax',
    issueCount: 2,
    first: {
      code: 'CONTRACT_YAML_SYNTAX',
      file: 'dim_user.yaml',
      line: 10,
      column: 12,
      path: '',
      message: 'Nested mappings are not allowed in compact mappings',
      remedy: 'fix the YAML syntax (indent with spaces, quote values that contain ": " or start with special characters)',
    },
  },
];
