/**
 * `streampulse demo`: the product's main job on the embedded default. Validates the
 * contracts, generates seeded synthetic sources (with defects), runs every daily batch
 * through bronze → silver → gold → marts on DuckDB, publishes the SQLite serving
 * database, CSV extracts and quality reports, builds the static dashboard page, and
 * prints where to look.
 *
 * `streampulse run --date D` runs one batch over an existing lake.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { FRESHNESS_MODES, isFreshnessMode, type FreshnessMode } from '@streampulse/jobs';
import type { BatchReport } from '@streampulse/engine';
import type { CliContext } from '../context.js';
import { buildDashboardPage, runBatches, runDailyBatches, runDemo, saltFrom, type LakehouseEvents } from '@streampulse/rehearsal';
import { count, table } from '../output.js';
import { bar, createProgress, layerOf } from '../progress.js';
import type { CommandModule } from './types.js';

export const DEMO_DEFAULTS = { users: 1000, days: 14, seed: '42', start: '2026-01-25' } as const;

export function positiveInt(name: string, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}, got "${v}"`);
    return n;
  };
}
export function isoDate(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v)
    throw new InvalidArgumentError(`"${v}" is not a YYYY-MM-DD date`);
  return v;
}
export function freshnessMode(v: string): FreshnessMode {
  if (!isFreshnessMode(v)) throw new InvalidArgumentError(`--freshness must be one of ${FRESHNESS_MODES.join(', ')}, got "${v}"`);
  return v;
}
const FRESHNESS_HELP =
  'enforce: a failed freshness rule with action "fail" stops the batch; report: it is only reported and noted (a backfill of sparse history, a small synthetic run)';

/** Progress callbacks that draw a bar per batch (jobs by layer) on stderr. */
export function batchProgress(ctx: CliContext, enabled: boolean): LakehouseEvents {
  const p = createProgress(ctx.stderr, ctx.interactive, enabled);
  let started = performance.now();
  const layers = new Map<string, number>();
  let batch = '';
  let done = 0;
  return {
    onGenerate: (e) => {
      const text = `generate ${bar(e.day, e.days)} day ${e.day}/${e.days} ${e.date}  ${e.rows.toLocaleString('en-US')} rows`;
      if (e.day === e.days) p.done(text);
      else p.update(text);
    },
    onJob: (e) => {
      if (e.batch !== batch) {
        // jobs run dataset by dataset (waves), not in plan order: count them per batch
        batch = e.batch;
        done = 0;
        started = performance.now();
        layers.clear();
      }
      if (e.kind === 'job-start') p.update(`batch ${e.batch} ${bar(done, e.total)} ${done}/${e.total} ${e.job}`);
      else {
        done++;
        layers.set(layerOf(e.job), (layers.get(layerOf(e.job)) ?? 0) + 1);
      }
    },
    onBatch: (r, i, n) => {
      const s = totals([r]);
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      const jobs = [...layers.entries()].map(([l, k]) => `${l} ${k}`).join(' · ');
      p.done(
        `batch ${r.batch} ${bar(1, 1)} ${i + 1}/${n}  in ${fmt(s.in)} → promoted ${fmt(s.promoted)}, quarantined ${fmt(s.quarantined)}, duplicates ${fmt(s.duplicates)}  [${jobs}] ${secs}s`,
      );
    },
  };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** What a re-run of an earlier batch did (its report's gold_as_of and replayed), for `run`; undefined for the newest batch. */
export function rerunNote(r: BatchReport): string | undefined {
  if (r.gold_as_of === undefined) return undefined;
  const replayed = r.replayed ?? [];
  return replayed.length === 0
    ? `re-ran batch ${r.batch}; what later batches read of it is unchanged, so they stand; gold rebuilt and the served marts stay as of ${r.gold_as_of}`
    : `re-ran batch ${r.batch}; replayed ${replayed.length === 1 ? `the later batch ${replayed[0]}, which reads` : `the ${replayed.length} later batches ${replayed[0]} … ${replayed.at(-1)}, which read`} what it changed; gold rebuilt and the served marts stay as of ${r.gold_as_of}`;
}

/** How the contracts' freshness rules fared over the batches: evaluations, and failures by action. */
export function freshnessTally(reports: readonly BatchReport[]): { evaluations: number; failed: number; failed_fail: number; failed_warn: number } {
  let evaluations = 0;
  let failedFail = 0;
  let failedWarn = 0;
  for (const r of reports)
    for (const d of r.datasets)
      for (const rule of d.rules) {
        if (rule.rule !== 'freshness') continue;
        evaluations += rule.evaluated;
        if (rule.failed > 0 && rule.action === 'fail') failedFail++;
        else if (rule.failed > 0) failedWarn++;
      }
  return { evaluations, failed: failedFail + failedWarn, failed_fail: failedFail, failed_warn: failedWarn };
}

export function totals(reports: readonly BatchReport[]): { in: number; promoted: number; quarantined: number; duplicates: number; conserved: boolean } {
  let a = 0;
  let p = 0;
  let q = 0;
  let d = 0;
  let ok = true;
  for (const r of reports)
    for (const x of r.datasets) {
      a += x.rows_in;
      p += x.promoted;
      q += x.quarantined;
      d += x.duplicates_dropped;
      ok &&= x.conserved;
    }
  return { in: a, promoted: p, quarantined: q, duplicates: d, conserved: ok };
}

function defaultLake(ctx: CliContext): string {
  return join(ctx.workspaceRoot(), 'out', 'demo');
}

/** Options shared by every command that generates sources (demo, sources generate). */
export interface SourceOpts {
  users: number;
  days: number;
  seed: string;
  start: string;
  defects: boolean;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

/** Adds the source-generation options (users, days, seed, start, defects, progress, contracts dir) to a command. */
export function withSourceOptions(cmd: Command, daysHelp: string): Command {
  return cmd
    .option('-u, --users <n>', 'simulated accounts', positiveInt('--users', 10_000_000), DEMO_DEFAULTS.users)
    .option('--days <d>', daysHelp, positiveInt('--days', 3660), DEMO_DEFAULTS.days)
    .option('-s, --seed <seed>', 'random seed (same seed, same files)', DEMO_DEFAULTS.seed)
    .option('--start <date>', 'first day (YYYY-MM-DD)', isoDate, DEMO_DEFAULTS.start)
    .option('--no-defects', 'generate clean sources (no seeded defects)')
    .option('--no-progress', 'no progress bars on stderr')
    .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)');
}

interface DemoOpts extends SourceOpts {
  out?: string;
  freshness: FreshnessMode;
}

export const demoCommand: CommandModule = {
  name: 'demo',
  register(program: Command, ctx: CliContext): void {
    const cmd = program
      .command('demo')
      .description(
        'the local lakehouse end to end: generate seeded sources (with defects), run every daily batch through the generated Data Factory master pipeline on the local executor (bronze → silver → gold → marts on DuckDB), publish SQLite serving, CSV extracts and quality reports, and build the static dashboard page',
      )
      .option(
        '-o, --out <dir>',
        'lake folder to (re)create (default: <workspace>/out/demo); only ever replaces a lake it made (marked by a .streampulse-lake file)',
      );
    withSourceOptions(cmd, 'daily batches')
      .option('--freshness <mode>', FRESHNESS_HELP, freshnessMode, 'enforce')
      .option('--json', 'print the summary as JSON on stdout')
      .addHelpText(
        'after',
        `
The salt for pseudonymised columns comes from STREAMPULSE_PII_SALT; without it a fixed
local-demo salt is used (and the summary says so).
Exit codes: 0 success, 1 failure (invalid contracts, a failed batch), 2 usage error.`,
      )
      .action(async (opts: DemoOpts) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const lake = opts.out !== undefined ? ctx.resolvePath(opts.out) : defaultLake(ctx);
        const { salt, fromEnv } = saltFrom(ctx.env);
        const s = ctx.style;
        if (!ctx.jsonMode)
          ctx.print(
            s.bold('StreamPulse demo: the local lakehouse on DuckDB'),
            `  ${count(set.datasets.length, 'dataset')}, ${count(set.models.length, 'gold model')}, ${count(set.marts.length, 'mart')} · ${opts.users} users × ${opts.days} days from ${opts.start}, seed ${opts.seed}${opts.defects ? '' : ', no defects'}`,
            `  lake: ${ctx.display(lake)}`,
            '',
          );
        const result = await runDemo(set, {
          lakeRoot: lake,
          users: opts.users,
          days: opts.days,
          seed: opts.seed,
          startDate: opts.start,
          defects: opts.defects ? {} : false,
          salt,
          freshness: opts.freshness,
          ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
          ...batchProgress(ctx, opts.progress && !ctx.jsonMode),
        });
        // the static dashboard page, when the contracts have a dashboard
        const dashboard =
          set.dashboards.length === 0
            ? undefined
            : buildDashboardPage({ set, sqlitePath: result.publish.sqlite, outDir: join(lake, 'dashboard'), qualityJson: result.publish.qualityJson });
        const t = totals(result.reports);
        const fresh = freshnessTally(result.reports);
        const defectsExpected = result.manifest.defects.length;
        const summary = {
          ok: true,
          lake,
          batches: result.reports.length,
          rows: t,
          defects_injected: result.manifest.defect_counts,
          freshness: { mode: opts.freshness, ...fresh },
          marts: result.publish.martRows,
          serving: result.publish.sqlite,
          extracts: result.publish.extracts,
          adf_runs: result.runs,
          quality_report: result.publish.qualityMarkdown,
          quality_json: result.publish.qualityJson,
          dashboard: dashboard ?? null,
          seconds: result.seconds,
          salt: fromEnv ? 'STREAMPULSE_PII_SALT' : 'local demo salt',
        };
        if (ctx.jsonMode) {
          ctx.printJson(summary);
          return;
        }
        ctx.print(
          '',
          s.bold('Result'),
          `  ${count(result.reports.length, 'batch', 'batches')}: ${fmt(t.in)} rows in = ${fmt(t.promoted)} promoted + ${fmt(t.quarantined)} quarantined + ${fmt(t.duplicates)} duplicates ${t.conserved ? s.green('(conserved in every batch and dataset)') : s.red('(NOT conserved)')}`,
          `  ${count(result.runs.length, 'run')} of the Data Factory master pipeline on the local executor, ${fmt(result.runs.reduce((a, r) => a + r.activityRuns, 0))} activity runs, all Succeeded`,
          `  ${defectsExpected} seeded defects (${Object.entries(result.manifest.defect_counts)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`,
          ...(fresh.evaluations === 0
            ? []
            : [
                fresh.failed === 0
                  ? `  freshness rules: ${fmt(fresh.evaluations)} evaluations, all met`
                  : `  freshness rules: ${fmt(fresh.evaluations)} evaluations, ${s.yellow(`${fresh.failed} failed and noted`)} (${[
                      ...(fresh.failed_fail > 0 ? [`${fresh.failed_fail} of action fail, not enforced: --freshness report`] : []),
                      ...(fresh.failed_warn > 0 ? [`${fresh.failed_warn} of action warn`] : []),
                    ].join('; ')}); see the quality report`,
              ]),
          '',
          ...table(
            ['mart', 'rows'],
            Object.entries(result.publish.martRows).map(([m, n]) => [m, fmt(n)]),
            s,
            '  ',
          ),
          '',
          s.bold('Where to look'),
          ...(dashboard === undefined
            ? []
            : [
                `  dashboard         ${ctx.display(dashboard)}   (static page: every card of the dashboard contract and the data quality; open it in a browser)`,
              ]),
          `  serving database  ${ctx.display(result.publish.sqlite)}   (SQLite: the analytics_* marts, quality_batches, serving_quality_summary)`,
          `  CSV extracts      ${ctx.display(join(lake, 'serving', 'extracts'))}/   (one per mart, Metabase-ready)`,
          `  quality report    ${ctx.display(result.publish.qualityMarkdown)}   (rows in / promoted / quarantined by reason / duplicates, rule pass rates, freshness)`,
          `  quarantine        ${ctx.display(join(lake, 'quarantine'))}/   (every rejected row with its reason and raw text)`,
          `  defect manifest   ${ctx.display(join(lake, 'landing', '_manifest.json'))}`,
          `  ADF run logs      ${ctx.display(join(lake, 'reports', 'adf'))}/   (activity runs of each master-pipeline run, as Data Factory reports them)`,
          '',
          s.dim(
            `generate ${result.seconds.generate.toFixed(1)}s · batches ${result.seconds.run.toFixed(1)}s · serving ${result.seconds.publish.toFixed(1)}s` +
              (fromEnv ? '' : ' · pseudonyms use the local demo salt (set STREAMPULSE_PII_SALT for your own)'),
          ),
        );
      });
  },
};

interface RunOpts {
  date?: string;
  from?: string;
  to?: string;
  freshness: FreshnessMode;
  lake?: string;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

export const runCommand: CommandModule = {
  name: 'run',
  register(program: Command, ctx: CliContext): void {
    program
      .command('run')
      .description(
        'run one daily batch over an existing lake (landing files already there) through the Data Factory master pipeline on the local executor, then republish serving; or backfill a range of days (--from, --to) as one run on the runner',
      )
      .option('--date <date>', 'the batch (run date), YYYY-MM-DD', isoDate)
      .option('--from <date>', 'backfill: the first day, YYYY-MM-DD (with --to)', isoDate)
      .option('--to <date>', 'backfill: the last day, YYYY-MM-DD (with --from)', isoDate)
      .option('-l, --lake <dir>', 'lake folder (default: <workspace>/out/demo)')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--no-progress', 'no progress bar on stderr')
      .option('--freshness <mode>', FRESHNESS_HELP, freshnessMode, 'enforce')
      .option('--json', 'print the batch report as JSON on stdout')
      .addHelpText(
        'after',
        '\nRe-running a batch is idempotent: it rewrites that batch and gives the same gold and serving rows.\nRe-running an earlier batch repairs its bronze and silver, replays the later batches when what they read of it changed,\nand keeps gold and the served marts as of the newest batch (serving never moves back in time).\nA backfill (--from D1 --to D2) runs the days as one run straight on the runner (not one master pipeline run per day):\nevery batch gets the partitions and report the daily runs give; gold is written after the last day and serving\npublished once. Run again, it skips the days already reported over unchanged landing files and finishes the rest.\nExit codes: 0 success, 1 failure, 2 usage error, 130/143 stopped by SIGINT/SIGTERM (run it again to finish).',
      )
      .action(async (opts: RunOpts) => {
        ctx.jsonMode = opts.json === true;
        const single = opts.date !== undefined && opts.from === undefined && opts.to === undefined;
        const range = opts.date === undefined && opts.from !== undefined && opts.to !== undefined;
        if (!single && !range)
          throw new StreamPulseError('RUN_BAD_RANGE', 'pass either --date D or both --from D1 and --to D2', {
            remedy: 'streampulse run --date 2026-01-25, or streampulse run --from 2026-01-25 --to 2026-02-07',
          });
        if (opts.from !== undefined && opts.to !== undefined && opts.from > opts.to)
          throw new StreamPulseError('RUN_BAD_RANGE', `--from ${opts.from} is after --to ${opts.to}`, { remedy: 'pass --from no later than --to' });
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const lake = opts.lake !== undefined ? ctx.resolvePath(opts.lake) : defaultLake(ctx);
        if (!existsSync(join(lake, 'landing')))
          throw new StreamPulseError('RUN_NO_LANDING', `${ctx.display(lake)} has no landing/ folder`, {
            remedy: 'run `streampulse demo` (or `streampulse sources generate --out <lake>/landing`) first, or pass --lake',
          });
        const { salt } = saltFrom(ctx.env);
        if (opts.date === undefined) {
          await backfill(ctx, set, lake, salt, opts);
          return;
        }
        const r = await runDailyBatches(set, {
          lakeRoot: lake,
          dates: [opts.date],
          salt,
          freshness: opts.freshness,
          ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
          ...batchProgress(ctx, opts.progress && !ctx.jsonMode),
        });
        const report = r.reports[0]!;
        const run = r.runs[0]!;
        const rerun = rerunNote(report);
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, report, serving: r.publish.sqlite, adf_run: run, ...(rerun !== undefined ? { rerun } : {}) });
          return;
        }
        const s = ctx.style;
        ctx.print(
          '',
          ...table(
            ['dataset', 'in', 'promoted', 'quarantined', 'duplicates', 'conserved', 'fresh'],
            report.datasets.map((d) => [
              d.dataset,
              fmt(d.rows_in),
              fmt(d.promoted),
              fmt(d.quarantined),
              fmt(d.duplicates_dropped),
              d.conserved ? 'yes' : 'NO',
              d.freshness.within_sla ? 'yes' : 'no',
            ]),
            s,
            '  ',
          ),
          '',
          `  notes: ${report.datasets.flatMap((d) => d.notes).length === 0 ? 'none' : ''}`,
          ...report.datasets.flatMap((d) => d.notes.map((n) => `    ${d.dataset}: ${n}`)),
          '',
          `serving database ${ctx.display(r.publish.sqlite)} · report ${ctx.display(join(lake, 'reports', 'batches', `${opts.date}.json`))}`,
          `${run.activityRuns} activity runs of the master pipeline: ${ctx.display(run.log)}`,
          ...(rerun !== undefined ? ['', s.bold(rerun)] : []),
        );
      });
  },
};

/** Every day from `from` through `to` (YYYY-MM-DD, inclusive). */
export function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** `run --from --to`: the days as one backfill on the runner (rehearsal `runBatches` with resume), serving published once. */
async function backfill(ctx: CliContext, set: ContractSet, lake: string, salt: string, opts: RunOpts): Promise<void> {
  const dates = daysFrom(opts.from!, opts.to!);
  const r = await runBatches(set, {
    lakeRoot: lake,
    dates,
    salt,
    resume: true,
    tables: 'every-day',
    freshness: opts.freshness,
    ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
    ...batchProgress(ctx, opts.progress && !ctx.jsonMode),
  });
  if (ctx.jsonMode) {
    ctx.printJson({ ok: true, reports: r.reports, skipped: r.skipped, serving: r.publish.sqlite });
    return;
  }
  const s = ctx.style;
  const sum = (d: (x: BatchReport['datasets'][number]) => number) => (b: BatchReport) => b.datasets.reduce((a, x) => a + d(x), 0);
  ctx.print(
    '',
    ...table(
      ['batch', 'in', 'promoted', 'quarantined', 'duplicates', 'conserved', 'run'],
      r.reports.map((b) => [
        b.batch,
        fmt(sum((x) => x.rows_in)(b)),
        fmt(sum((x) => x.promoted)(b)),
        fmt(sum((x) => x.quarantined)(b)),
        fmt(sum((x) => x.duplicates_dropped)(b)),
        b.datasets.every((x) => x.conserved) ? 'yes' : 'NO',
        r.skipped.includes(b.batch) ? 'skipped (done)' : 'ran',
      ]),
      s,
      '  ',
    ),
    '',
    `backfill ${opts.from} → ${opts.to}: ${count(dates.length - r.skipped.length, 'day')} run, ${count(r.skipped.length, 'day')} already done · serving database ${ctx.display(r.publish.sqlite)}`,
  );
}
