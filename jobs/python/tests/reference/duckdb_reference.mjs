// Test helper for the PySpark engine-parity tests: generates seeded landing files,
// runs them through the local DuckDB runner and writes the job plan the PySpark
// runtime executes. Uses the built workspace (cli/dist), so `tsc -b` must have run.
//
//   node duckdb_reference.mjs <out-dir> <users> <days> <seed> <start-date>
//
// Writes <out-dir>/lake (the DuckDB lake: landing/, bronze/, silver/, gold/, reports/)
// and <out-dir>/plan.json; prints a JSON summary on stdout.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const cli = await import(join(root, 'rehearsal', 'dist', 'src', 'index.js'));
const { loadContractsOrThrow } = await import(join(root, 'contracts', 'dist', 'src', 'index.js'));
const { compileJobs } = await import(join(root, 'jobs', 'dist', 'src', 'index.js'));
const { LocalRunner } = await import(join(root, 'engine', 'dist', 'src', 'index.js'));
const { DEFECT_KINDS } = await import(join(root, 'sources', 'dist', 'src', 'index.js'));

const [out, users, days, seed, start] = process.argv.slice(2);
if (!out || !users || !days || !seed || !start) {
  process.stderr.write('usage: duckdb_reference.mjs <out-dir> <users> <days> <seed> <start-date>\n');
  process.exit(2);
}
const set = loadContractsOrThrow(join(root, 'contracts', 'streampulse'));
mkdirSync(out, { recursive: true });
const salt = process.env.STREAMPULSE_PII_SALT || cli.LOCAL_DEMO_SALT;
// high defect rates, as in tests/test/lakehouse.test.ts, so every defect kind is present
const defects = { ...Object.fromEntries(DEFECT_KINDS.map((k) => [k, 0.01])), relanded_files: 2 };
const t0 = performance.now();
// a few dozen users are too few for the shipped freshness rules: reported, not enforced
const demo = await cli.runDemo(set, {
  lakeRoot: join(out, 'lake'),
  users: Number(users),
  days: Number(days),
  seed,
  startDate: start,
  salt,
  defects,
  threads: 2,
  freshness: 'report',
});
const seconds = { generate: demo.seconds.generate, run: demo.seconds.run, publish: demo.seconds.publish, total: (performance.now() - t0) / 1000 };
const plan = compileJobs(set);
writeFileSync(join(out, 'plan.json'), `${JSON.stringify(plan, null, 1)}\n`);
// the benchmark's DuckDB side: the last batch again, every job, over the same lake state
const last = demo.manifest.dates[demo.manifest.dates.length - 1];
const runner = await LocalRunner.open(plan, { lakeRoot: join(out, 'lake'), salt, threads: 2, freshness: 'report' });
const t1 = performance.now();
try {
  await runner.runBatch(last);
} finally {
  await runner.close();
}
const rerun_seconds = (performance.now() - t1) / 1000;
// the day after the last, when nothing landed, with freshness enforced: the first dataset
// whose fail rule the last day's events no longer satisfy stops the batch (the PySpark
// runtime must stop at the same dataset with the same words)
const dayAfter = new Date(Date.parse(`${last}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const enforced = await LocalRunner.open(plan, { lakeRoot: join(out, 'lake'), salt, threads: 2, freshness: 'enforce' });
let enforce_error = null;
try {
  await enforced.runJobs(
    dayAfter,
    plan.jobs.filter((j) => j.layer === 'bronze').map((j) => j.id),
  );
} catch (e) {
  enforce_error = { date: dayAfter, code: e.code, message: e.message };
} finally {
  await enforced.close();
}
process.stdout.write(`${JSON.stringify({ dates: demo.manifest.dates, seconds, rerun_seconds, reports: demo.reports, enforce_error })}\n`);
