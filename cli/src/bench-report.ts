/** The human report of `streampulse bench` (rendering: the measuring is @streampulse/bench). */
import type { BenchGoal, BenchResult, SideFigures } from '@streampulse/bench';
import { table, type Style } from './output.js';

const n1 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const n2 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The human report of a benchmark result (the `--json` form is the result itself). */
export function benchReport(r: BenchResult, s: Style, display: (p: string) => string = (p) => p): string[] {
  const rss = (f: SideFigures): string => (r.isolated ? int(f.peak_rss_mb) : `${int(f.peak_rss_mb)}*`);
  const sides = [r.runner, r.floor, r.floor_silver_only];
  const row = (label: string, f: (x: SideFigures) => string): string[] => [label, ...sides.map(f)];
  const rows: string[][] = [
    row('landing → silver (s)', (x) => n1(x.seconds.landing_to_silver)),
    row('landing → silver (MB/s)', (x) => n1(x.mb_per_s)),
    row('gold + marts (s)', (x) => n1(x.seconds.gold)),
    [...row('publish serving (s)', (x) => n1(x.seconds.publish)).slice(0, 2), '-', '-'],
    row('end to end (s)', (x) => n1(x.seconds.end_to_end)),
    row('CPU user+sys (s)', (x) => (r.isolated ? n1(x.cpu_seconds) : '-')),
    row('peak RSS (MB)', rss),
  ];
  const datasets = [...new Set([...Object.keys(r.runner.silver_rows), ...Object.keys(r.floor.silver_rows)])].sort();
  const mark = (met: boolean): string => (met ? s.green('met') : s.red('not met'));
  const goalValue = (g: BenchGoal): string => (g.id === 'throughput' ? `${n1(g.value)} MB/s` : g.id === 'ratio' ? `${n2(g.value)}×` : `${int(g.value)} MB`);
  const counts = (pick: (x: SideFigures) => Readonly<Record<string, number>>, of: readonly SideFigures[]): string[][] =>
    datasets.map((d) => [d, ...of.map((x) => int(pick(x)[d] ?? 0))]);
  return [
    s.bold(`StreamPulse local benchmark: ${int(r.scale.users)} users × ${r.scale.days} days, seed ${r.scale.seed}`),
    `  machine: ${r.machine.cpus} cores (${r.machine.cpu_model}), ${n1(r.machine.memory_gb)} GB RAM, Node ${r.machine.node}; DuckDB threads ${r.duckdb.threads} on every side (runner: bronze and silver 1 per connection × 2 connections, gold ${r.duckdb.threads}), memory_limit ${r.duckdb.runner_memory_limit} (runner) / ${r.duckdb.memory_limit} (floors)`,
    `  landing: ${n1(r.landing.mb)} MB in ${int(r.landing.files)} files, ${r.landing.datasets} datasets (${display(r.landing.dir)}; ${r.landing.reused ? 'cached, reused' : `generated in ${n1(r.landing.generate_seconds ?? 0)}s`}, not timed)`,
    '',
    ...table(['', 'runner', 'floor', 'floor, silver only'], rows, s, '  '),
    '',
    `  runner / floor end to end: ${s.bold(`${n2(r.ratio)}×`)}   (runner / silver-only floor: ${n2(r.ratio_silver_only)}×)`,
    ...(r.rounds.length > 1
      ? [
          `  ${r.rounds.length} rounds (figures above: the round with the median ratio): runner / floor ${r.rounds.map((x) => `${n2(x.ratio)}×`).join(', ')}; runner / silver-only floor ${r.rounds.map((x) => `${n2(x.ratio_silver_only)}×`).join(', ')}`,
          `    end to end (s): runner ${r.rounds.map((x) => n1(x.runner)).join(', ')}; floor ${r.rounds.map((x) => n1(x.floor)).join(', ')}; silver-only floor ${r.rounds.map((x) => n1(x.floor_silver_only)).join(', ')}`,
        ]
      : []),
    `  silver rows per dataset: ${r.silver_rows_match ? s.green('the same on every side') : s.red('DIFFERENT (the floor does not do the same work)')}; bronze and quarantine rows: ${r.bronze_rows_match ? s.green('the same in the runner and the floor') : s.red('DIFFERENT')}; mart rows: ${r.mart_rows_match ? s.green('the same') : s.yellow('different')}`,
    ...(r.silver_rows_match
      ? []
      : table(
          ['silver rows', 'runner', 'floor', 'floor, silver only'],
          counts((x) => x.silver_rows, sides),
          s,
          '    ',
        )),
    ...(r.bronze_rows_match
      ? []
      : table(
          ['bronze / quarantine rows', 'runner', 'floor'],
          datasets.map((d) => [d, ...[r.runner, r.floor].map((x) => `${int(x.bronze_rows[d] ?? 0)} / ${int(x.quarantine_rows[d] ?? 0)}`)]),
          s,
          '    ',
        )),
    ...(r.isolated ? [] : [s.dim('  * every side ran in this process (--in-process): peak RSS is the process peak, not per side')]),
    '',
    s.bold('Goals (printed, not asserted)'),
    ...table(
      ['goal', 'measured', ''],
      r.goals.map((g) => [g.goal, goalValue(g), mark(g.met)]),
      s,
      '  ',
    ),
    '',
    s.dim(
      'MB = 10^6 bytes. Runner: every daily batch (bronze, silver, gold, marts) then publish. Floor: one DuckDB script over all days writing bronze, quarantine, silver and gold (runs/floor/floor.sql); silver-only floor: the same without the bronze layer (runs/floor_silver_only/floor.sql).',
    ),
  ];
}
